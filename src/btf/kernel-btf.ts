import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapFileReadOnly, unmapFile } from '../sys/file-map.js';
import { parseBtf, type Btf, type ParseBtfOptions } from './btf.js';
import { BtfError } from './errors.js';

/** Where the kernel exposes its BTF (`CONFIG_DEBUG_INFO_BTF`, 5.4+; modules 5.11+). */
export const SYSFS_BTF_DIR = '/sys/kernel/btf';

let vmlinux: Btf | undefined;
const modules = new Map<string, Btf>();

const VMLINUX_PATH = join(SYSFS_BTF_DIR, 'vmlinux');

/** Buffers of `readBtfFile` that are mappings, which only `releaseBtfFile` may unmap. */
const mappedFiles = new WeakSet<ArrayBufferLike>();

function readBtfFile(path: string): Uint8Array {
  if (path === VMLINUX_PATH) {
    // Mapping the kernel's own copy (6.16+) replaces ~1350 read()s of 4 KiB (sysfs reads stop at
    // a page) and a 5 MiB buffer; the kernel image never changes, so the mapping cannot shrink.
    try {
      const mapped = mapFileReadOnly(path);
      if (mapped.length > 0) {
        mappedFiles.add(mapped.buffer);
        return mapped;
      }
    } catch {
      // Older kernel, no addon, or not root: read it.
    }
  }
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const hint = code === 'ENOENT' ? ' (kernel built without CONFIG_DEBUG_INFO_BTF, or no such module loaded?)' : '';
    throw new BtfError(`cannot read ${path}: ${code ?? String(e)}${hint}`, {}, { cause: e });
  }
}

/**
 * `btf__parse_raw`: reads a raw BTF file (`/sys/kernel/btf/*`, `bpftool btf dump ... format raw`
 * output) and parses it; `BtfError` when it cannot be read or is malformed. The running
 * kernel's `/sys/kernel/btf/vmlinux` is mapped rather than read where the kernel allows it
 * (6.16+): its `bytes` are then read-only memory, and writing to them kills the process.
 *
 * @example
 * ```ts
 * const vmlinux = parseBtfFile('/sys/kernel/btf/vmlinux');
 * const [id] = vmlinux.findByName('task_struct', 'STRUCT');
 * ```
 */
export function parseBtfFile(path: string, options: ParseBtfOptions = {}): Btf {
  return parseBtf(readBtfFile(path), options);
}

/**
 * Unmaps the bytes of a `Btf` from {@link parseBtfFile} now, when they are a mapping (vmlinux on
 * 6.16+), instead of when the garbage collector finds them; returns whether it did. Read bytes
 * and `loadKernelBtf()`'s shared instance are left alone. Afterwards that `Btf` and any split
 * BTF on it must not be used: their bytes are a detached buffer.
 *
 * @example
 * ```ts
 * const btf = parseBtfFile('/sys/kernel/btf/vmlinux');
 * const [id] = btf.findByName('task_struct', 'STRUCT');
 * releaseBtfFile(btf);
 * ```
 */
export function releaseBtfFile(btf: Btf): boolean {
  const buffer = btf.bytes.buffer;
  if (btf === vmlinux || !mappedFiles.has(buffer)) return false;
  mappedFiles.delete(buffer);
  unmapFile(btf.bytes);
  return true;
}

/**
 * The running kernel's BTF from `/sys/kernel/btf/vmlinux`, read and indexed once per process
 * (types inflate lazily, so CO-RE pays only for what it touches). Read with `parseBtfFile`: on
 * 6.16+ its `bytes` are the kernel's read-only pages, mapped; never write to them.
 *
 * @example
 * ```ts
 * const [id] = loadKernelBtf().findByName('task_struct', 'STRUCT');
 * ```
 */
export function loadKernelBtf(): Btf {
  vmlinux ??= parseBtfFile(VMLINUX_PATH);
  return vmlinux;
}

/**
 * A loaded module's BTF from `/sys/kernel/btf/<name>`, split on `loadKernelBtf()` (its ids
 * continue after vmlinux's). Cached per module name.
 */
export function loadModuleBtf(name: string): Btf {
  if (name === 'vmlinux') return loadKernelBtf();
  if (name === '' || name.includes('/') || name === '.' || name === '..') throw new BtfError(`invalid module name '${name}'`);
  let btf = modules.get(name);
  if (btf === undefined) {
    btf = parseBtfFile(join(SYSFS_BTF_DIR, name), { base: loadKernelBtf() });
    modules.set(name, btf);
  }
  return btf;
}
