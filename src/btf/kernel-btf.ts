import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBtf, type Btf } from './btf.js';
import { BtfError } from './errors.js';

/** Where the kernel exposes its BTF (`CONFIG_DEBUG_INFO_BTF`, 5.4+; modules 5.11+). */
export const SYSFS_BTF_DIR = '/sys/kernel/btf';

let vmlinux: Btf | undefined;
const modules = new Map<string, Btf>();

function readBtfFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const hint = code === 'ENOENT' ? ' (kernel built without CONFIG_DEBUG_INFO_BTF, or no such module loaded?)' : '';
    throw new BtfError(`cannot read ${path}: ${code ?? String(e)}${hint}`, {}, { cause: e });
  }
}

/**
 * The running kernel's BTF from `/sys/kernel/btf/vmlinux`, read and indexed once per process
 * (types inflate lazily, so CO-RE pays only for what it touches).
 *
 * @example
 * ```ts
 * const [id] = loadKernelBtf().findByName('task_struct', 'STRUCT');
 * ```
 */
export function loadKernelBtf(): Btf {
  vmlinux ??= parseBtf(readBtfFile(join(SYSFS_BTF_DIR, 'vmlinux')));
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
    btf = parseBtf(readBtfFile(join(SYSFS_BTF_DIR, name)), { base: loadKernelBtf() });
    modules.set(name, btf);
  }
  return btf;
}
