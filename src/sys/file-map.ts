import { closeSync, fstatSync, openSync } from 'node:fs';
import { native } from './native.js';

const PROT_READ = 1;
const MAP_PRIVATE = 2;

/**
 * Maps a whole file read-only (`mmap(PROT_READ, MAP_PRIVATE)`) and returns its bytes, without
 * copying them. Meant for files whose contents never change while mapped, such as
 * `/sys/kernel/btf/vmlinux`, which Linux 6.16+ lets user space map straight from the kernel
 * image (`btf_sysfs_vmlinux_mmap` in `kernel/bpf/sysfs_btf.c`; libbpf 1.6 reads vmlinux BTF
 * this way): no read() per 4 KiB page, no copy, no process memory. The mapping lives as long
 * as the returned bytes are reachable (the addon unmaps it when the buffer is collected).
 * Do not map ordinary files that may shrink: touching a page past a truncated end is SIGBUS.
 * Throws the native error (`EINVAL`, `ENODEV`, `EACCES`, ...) when the file cannot be mapped,
 * e.g. sysfs BTF before 6.16 or module BTF; callers fall back to reading it.
 *
 * @example
 * ```ts
 * const bytes = mapFileReadOnly('/sys/kernel/btf/vmlinux');
 * const btf = parseBtf(bytes);
 * ```
 */
export function mapFileReadOnly(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return new Uint8Array(0);
    return new Uint8Array(native().mmap(fd, size, PROT_READ, MAP_PRIVATE, 0), 0, size);
  } finally {
    closeSync(fd);
  }
}

/**
 * Unmaps bytes returned by {@link mapFileReadOnly} now rather than when they are collected. The
 * buffer is detached first, so views of it read as empty (or throw) instead of faulting.
 *
 * @example
 * ```ts
 * const bytes = mapFileReadOnly('/sys/kernel/btf/vmlinux');
 * unmapFile(bytes);
 * ```
 */
export function unmapFile(bytes: Uint8Array): void {
  if (bytes.byteLength === 0) return;
  native().munmap(bytes.buffer as ArrayBuffer);
}
