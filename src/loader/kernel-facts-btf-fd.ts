/**
 * Module BTF objects as fds: kfunc calls and attach targets in modules reference the module's
 * kernel BTF object (`fd_array` slot / `attach_btf_obj_fd`), found by walking BTF ids as
 * libbpf's `load_module_btfs()` does.
 */
import type { OwnedFd } from '../sys/fd.js';
import { btfGetFdById, objectIds } from '../sys/ids.js';
import { getBtfInfo } from '../sys/info.js';

/**
 * Opens the kernel BTF object of module `name`; `undefined` when no loaded module has that name.
 * The caller owns the fd.
 *
 * @example
 * ```ts
 * using fd = openModuleBtfFd('nf_conntrack');
 * ```
 */
export function openModuleBtfFd(name: string): OwnedFd | undefined {
  for (const id of objectIds('btf')) {
    let fd: OwnedFd;
    try {
      fd = btfGetFdById(id);
    } catch {
      continue; // freed between listing and opening
    }
    let keep = false;
    try {
      const info = getBtfInfo(fd);
      keep = info.kernelBtf && info.name === name;
    } catch {
      keep = false;
    }
    if (keep) return fd;
    fd.close();
  }
  return undefined;
}
