import type { Btf } from '../btf/btf.js';
import { btfGetFdById } from '../sys/ids.js';
import { getBtfInfo, getProgInfo, type FdLike, type ProgInfo } from '../sys/info.js';
import { btfModule } from './lazy-btf.js';

/** `BPF_OBJ_NAME_LEN`: the kernel keeps at most 15 bytes of a program's name. */
const BPF_OBJ_NAME_LEN = 16;

/** Parsed program BTF by BTF id, so one `prog show` parses each object's BTF once. */
const btfCache = new Map<number, Btf | null>();

/**
 * The BTF object `btfId` parsed (standalone, as program and map BTF is), cached until
 * {@link clearProgNameCache}; `null` when it cannot be read or parsed.
 */
export function programBtf(btfId: number): Btf | null {
  const cached = btfCache.get(btfId);
  if (cached !== undefined) return cached;
  let btf: Btf | null = null;
  try {
    const fd = btfGetFdById(btfId);
    try {
      const { data } = getBtfInfo(fd, { data: true });
      if (data !== undefined) btf = btfModule().parseBtf(data);
    } finally {
      fd.close();
    }
  } catch {
    btf = null;
  }
  // BTF ids are never reused while the object lives, but a long-lived process could see a
  // recycled id after a free: keep the cache small and short-lived.
  if (btfCache.size > 64) btfCache.clear();
  btfCache.set(btfId, btf);
  return btf;
}

/** Forgets cached program BTF (call when a command ends). */
export function clearProgNameCache(): void {
  btfCache.clear();
}

/**
 * A program's full name, as bpftool's `get_prog_full_name()`: the kernel truncates names to 15
 * bytes, so when the name is that long and the program has BTF func_info, the name of the BTF
 * `FUNC` of func_info[0] (the main function) is used instead. Falls back to the kernel's name on
 * any failure.
 *
 * @example
 * ```ts
 * progFullName(getProgInfo(fd), fd); // 'handle_sys_enter_openat' rather than 'handle_sys_ente'
 * ```
 */
export function progFullName(info: ProgInfo, fd: FdLike): string {
  if (info.name.length < BPF_OBJ_NAME_LEN - 1) return info.name;
  if (info.btfId === 0 || info.nrFuncInfo === 0) return info.name;
  try {
    const withFuncs = getProgInfo(fd, { funcInfo: true });
    const first = withFuncs.funcInfo?.[0];
    if (first === undefined) return info.name;
    const btf = programBtf(withFuncs.btfId);
    if (btf === null) return info.name;
    const t = btf.typeById(first.typeId);
    return t.kind === 'FUNC' && t.name !== '' ? t.name : info.name;
  } catch {
    return info.name;
  }
}
