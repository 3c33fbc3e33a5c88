/**
 * Checked encoding of `union bpf_attr` fields shared by the object-creating commands
 * (`BPF_PROG_LOAD`, `BPF_MAP_CREATE`): the kernel answers a bad value with a bare `EINVAL`, so we
 * reject it before the call with a message that names the field.
 */
import { BpfTsError } from '../errors/index.js';

/** `BPF_OBJ_NAME_LEN` from `include/uapi/linux/bpf.h`: name bytes including the NUL. */
export const BPF_OBJ_NAME_LEN = 16;

/**
 * A value that cannot be encoded into a `union bpf_attr` field (the kernel would reject it, or it
 * does not fit the field's width).
 *
 * @example
 * ```ts
 * try { mapCreate({ ...spec, name: 'has space' }) } catch (e) { if (e instanceof AttrFieldError) console.log(e.field) }
 * ```
 */
export class AttrFieldError extends BpfTsError {
  constructor(
    /** The `bpf_attr` field, e.g. `'map_name'` or `'insns'`. */
    readonly field: string,
    message: string,
  ) {
    super(`bpf_attr.${field}: ${message}`);
  }
}

/**
 * Writes an object name (`prog_name`, `map_name`) the way the kernel's `bpf_obj_name_cpy()`
 * accepts it: at most 15 bytes of `[A-Za-z0-9_.]`, NUL-terminated. libbpf truncates long names
 * silently; we refuse, so that the name a user asked for is the name they get.
 */
export function writeObjName(view: DataView, offset: number, field: string, name: string): void {
  if (name.length >= BPF_OBJ_NAME_LEN) {
    throw new AttrFieldError(field, `name '${name}' is ${name.length} characters; the kernel allows at most ${BPF_OBJ_NAME_LEN - 1}`);
  }
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2e;
    if (!ok) {
      throw new AttrFieldError(field, `name '${name}' has '${name[i]}' at ${i}; the kernel accepts only letters, digits, '_' and '.'`);
    }
    view.setUint8(offset + i, c);
  }
}

/** Writes a `__u32` field, refusing values that do not fit (a silent wrap would load something else). */
export function writeU32(view: DataView, offset: number, field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new AttrFieldError(field, `${value} is not a u32`);
  }
  view.setUint32(offset, value, true);
}

/** Writes a `__s32` field (fds that may be -1, token fds, keyring ids). */
export function writeS32(view: DataView, offset: number, field: string, value: number): void {
  if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) {
    throw new AttrFieldError(field, `${value} is not an s32`);
  }
  view.setInt32(offset, value, true);
}

/** Writes a `__u64` / `__aligned_u64` field (pointers, `map_extra`). */
export function writeU64(view: DataView, offset: number, field: string, value: bigint): void {
  if (value < 0n || value > 0xffff_ffff_ffff_ffffn) {
    throw new AttrFieldError(field, `${value} is not a u64`);
  }
  view.setBigUint64(offset, value, true);
}

/** Reads a NUL-terminated kernel log out of `buffer` (everything before the first NUL). */
export function decodeLog(buffer: Uint8Array): string {
  const end = buffer.indexOf(0);
  return logDecoder.decode(end < 0 ? buffer : buffer.subarray(0, end));
}

const logDecoder = new TextDecoder();
