/**
 * Live access to global data after load: an `BPF_F_MMAPABLE` internal map is mmap()ed (as
 * libbpf's skeletons do), so `.bss`/`.data` reads and writes reach the running programs without
 * syscalls. Frozen maps (`.rodata`, `.kconfig`) are mapped read-only.
 */
import { MapCreateFlag } from '../sys/map-create.js';
import { native } from '../sys/native.js';
import type { CreatedMap } from './create-maps.js';
import { LoadError } from './load-errors.js';

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;

const mappings = new WeakMap<CreatedMap, ArrayBuffer>();

/** The map's value as a live view (mapped on first use, unmapped by {@link releaseGlobalData}). */
export function globalDataMemory(c: CreatedMap): Uint8Array {
  const data = c.spec.data;
  if (data === undefined) throw new LoadError('not a global data map', { map: c.spec.name });
  if ((c.map.flags & MapCreateFlag.MMAPABLE) === 0) {
    throw new LoadError('is not mmap-able (its section has no non-static variable); use lookup()/update() on the map', { map: c.spec.name });
  }
  let buffer = mappings.get(c);
  if (buffer === undefined) {
    const n = native();
    const page = n.pageSize();
    const length = Math.max(page, Math.ceil(c.map.valueSize / page) * page);
    buffer = n.mmap(c.map.fd.fd, length, data.readonly ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, 0);
    mappings.set(c, buffer);
  }
  return new Uint8Array(buffer, 0, c.map.valueSize);
}

/** Unmaps the view of {@link globalDataMemory}, if any; stale views then throw. */
export function releaseGlobalData(c: CreatedMap): void {
  const buffer = mappings.get(c);
  if (buffer === undefined) return;
  mappings.delete(c);
  native().munmap(buffer);
}
