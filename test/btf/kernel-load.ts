import { btfLoad, getBtfInfo, native } from '../../src/sys/index.js';

/**
 * Loads raw BTF into the kernel (`BPF_BTF_LOAD`, the kernel's own BTF validator) and returns the
 * bytes the kernel hands back through `BPF_OBJ_GET_INFO_BY_FD`; closes the fd.
 */
export function loadIntoKernel(bytes: Uint8Array): Uint8Array {
  const { fd } = btfLoad({ data: bytes, logLevel: 1 });
  try {
    const info = getBtfInfo(fd, { data: true });
    if (info.data === undefined) throw new Error('kernel returned no BTF data');
    return info.data;
  } finally {
    native().close(fd);
  }
}
