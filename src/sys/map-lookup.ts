import { AttrWriter } from './attr.js';
import { BpfCmd, bpfSyscall } from './bpf.js';
import { SysError } from './errors.js';
import type { FdLike } from './info.js';

/** `bpf_attr` of `BPF_MAP_LOOKUP_ELEM`: `map_fd`, `key`, `value`, `flags`. */
const ELEM_ATTR = { mapFd: 0, key: 8, value: 16, flags: 24, SIZE: 32 } as const;

/**
 * `BPF_MAP_LOOKUP_ELEM`: the raw value stored under `key`, or `undefined` when there is none
 * (`ENOENT`). `valueSize` is the map's `value_size` (times the number of possible CPUs for
 * per-CPU maps). The typed map API lives in src/maps; this is the bare command, for tools such
 * as `prog show` reading `.rodata` metadata.
 *
 * @example
 * ```ts
 * const value = mapLookupElem(fd, new Uint8Array(4), info.valueSize);
 * ```
 */
export function mapLookupElem(fd: FdLike, key: Uint8Array, valueSize: number, flags = 0): Uint8Array | undefined {
  const value = new Uint8Array(valueSize);
  const attr = new AttrWriter(ELEM_ATTR.SIZE)
    .u32(ELEM_ATTR.mapFd, typeof fd === 'number' ? fd : fd.fd)
    .pointer(ELEM_ATTR.key, key)
    .pointer(ELEM_ATTR.value, value)
    .u64(ELEM_ATTR.flags, flags);
  try {
    bpfSyscall(BpfCmd.MAP_LOOKUP_ELEM, attr.bytes, undefined, attr, key, value);
  } catch (e) {
    if (e instanceof SysError && e.code === 'ENOENT') return undefined;
    throw e;
  }
  return value;
}
