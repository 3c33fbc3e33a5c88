import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { BpfObjectKind } from './ids.js';

/** A process holding an fd of a BPF object. */
export interface FdHolder {
  /** Thread-group id (the process id). */
  readonly pid: number;
  /** `/proc/<pid>/comm`: the process name, at most 15 bytes. */
  readonly comm: string;
}

/** The anon inode names of each kind's fds (links: `bpf_link` fresh, `bpf-link` reopened). */
const INODE_NAMES: Readonly<Record<BpfObjectKind, readonly string[]>> = {
  prog: ['anon_inode:bpf-prog'],
  map: ['anon_inode:bpf-map'],
  link: ['anon_inode:bpf_link', 'anon_inode:bpf-link'],
  btf: ['anon_inode:btf'],
};

/** The fdinfo line that carries the object id. */
const ID_KEYS: Readonly<Record<BpfObjectKind, string>> = { prog: 'prog_id', map: 'map_id', link: 'link_id', btf: 'btf_id' };

function numericEntries(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
}

/**
 * Which processes hold fds of each object of `kind`, by object id: what bpftool prints as
 * `pids comm(pid)`. bpftool learns it with a `task_file` BPF iterator; the same facts are in
 * `/proc/<pid>/fd` (the anon inode name says the kind) and `/proc/<pid>/fdinfo` (the id), which
 * is what this reads. Processes are visited in pid order and each appears once per object, as
 * with the iterator. Seeing other users' processes needs root (CAP_SYS_PTRACE); processes that
 * cannot be read are skipped.
 *
 * @example
 * ```ts
 * bpfFdHolders('map').get(42); // [{ pid: 1234, comm: 'node' }]
 * ```
 */
export function bpfFdHolders(kind: BpfObjectKind): Map<number, FdHolder[]> {
  const names = INODE_NAMES[kind];
  const idKey = `${ID_KEYS[kind]}:`;
  const holders = new Map<number, FdHolder[]>();
  for (const pid of numericEntries('/proc')) {
    let comm: string | undefined;
    for (const fd of numericEntries(`/proc/${pid}/fd`)) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch (e) {
        // Denied once is denied for every fd of that process (the ptrace access check is per
        // process): skip the rest rather than pay a thrown error per fd.
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM') break;
        continue;
      }
      if (!names.includes(target)) continue;
      let info: string;
      try {
        info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      } catch {
        continue;
      }
      const line = info.split('\n').find((l) => l.startsWith(idKey));
      if (line === undefined) continue;
      const id = Number.parseInt(line.slice(idKey.length).trim(), 10);
      if (!Number.isInteger(id)) continue;
      if (comm === undefined) {
        try {
          comm = readFileSync(`/proc/${pid}/comm`, 'utf8').replace(/\n$/, '');
        } catch {
          comm = '';
        }
      }
      const list = holders.get(id);
      if (list === undefined) holders.set(id, [{ pid, comm }]);
      else if (!list.some((h) => h.pid === pid)) list.push({ pid, comm });
    }
  }
  return holders;
}
