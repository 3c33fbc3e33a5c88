import { readFileSync } from 'node:fs';
import type { OwnedFd } from './fd.js';

/**
 * `/proc/self/fdinfo/<fd>` as `key -> value` (the kernel's `bpf_prog_show_fdinfo` /
 * `bpf_map_show_fdinfo`: `memlock`, `frozen`, `owner_prog_type`, `prog_tag`, `run_cnt`, ...).
 * Values are the raw text after the tab. An fd that is not open gives an empty map.
 *
 * @example
 * ```ts
 * const memlock = readFdInfo(fd).get('memlock'); // '4096'
 * ```
 */
export function readFdInfo(fd: number | OwnedFd): Map<string, string> {
  const n = typeof fd === 'number' ? fd : fd.fd;
  const fields = new Map<string, string>();
  let text: string;
  try {
    text = readFileSync(`/proc/self/fdinfo/${n}`, 'utf8');
  } catch {
    return fields;
  }
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}
