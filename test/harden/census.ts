/** Counting what the harden tests' object (bpf/harden/unpriv.bpf.o) holds, for leak checks. */
import { readdirSync } from 'node:fs';
import { getLinkInfo, getMapInfo, getProgInfo, linkGetFdById, mapGetFdById, objectIds, progGetFdById } from '../../src/sys/index.js';

/** The object's programs and maps are all named `bpfts_unpriv*`: no other test uses the prefix. */
const PREFIX = 'bpfts_unpriv';

export interface Census {
  readonly fds: number;
  readonly progs: number;
  readonly maps: number;
  readonly links: number;
}

/** Our fds, and the kernel's programs, maps and links of the object's (unique) names. */
export function census(): Census {
  const progIds = new Set<number>();
  for (const id of objectIds('prog')) {
    try {
      using fd = progGetFdById(id);
      if (getProgInfo(fd).name.startsWith(PREFIX)) progIds.add(id);
    } catch {
      // freed meanwhile
    }
  }
  let maps = 0;
  for (const id of objectIds('map')) {
    try {
      using fd = mapGetFdById(id);
      if (getMapInfo(fd).name.startsWith(PREFIX)) maps++;
    } catch {
      // freed meanwhile
    }
  }
  let links = 0;
  for (const id of objectIds('link')) {
    try {
      using fd = linkGetFdById(id);
      if (progIds.has(getLinkInfo(fd).progId)) links++;
    } catch {
      // freed meanwhile
    }
  }
  return { fds: readdirSync('/proc/self/fd').length, progs: progIds.size, maps, links };
}

