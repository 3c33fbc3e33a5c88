import { BtfKind, type BtfKindName } from './types.js';

/** `sizeof(struct btf_type)`: name_off, info, size/type. */
export const BTF_TYPE_SIZE = 12;

/** `BTF_INFO_KIND(info)`. */
export function infoKind(info: number): number {
  return (info >>> 24) & 0x1f;
}
/** `BTF_INFO_VLEN(info)`. */
export function infoVlen(info: number): number {
  return info & 0xffff;
}
/** `BTF_INFO_KFLAG(info)`. */
export function infoKflag(info: number): boolean {
  return info >>> 31 === 1;
}
/** `BTF_INFO_ENC(kind, kflag, vlen)` as an unsigned 32-bit number. */
export function makeInfo(kind: number, kflag: boolean, vlen: number): number {
  return ((kflag ? 0x80000000 : 0) | ((kind & 0x1f) << 24) | (vlen & 0xffff)) >>> 0;
}

/**
 * Bytes that follow `struct btf_type` for a kind (`btf_type_size` in libbpf minus the header),
 * or -1 for a kind number this version does not know.
 */
export function trailingSize(kind: number, vlen: number): number {
  switch (kind) {
    case BtfKind.INT: return 4;
    case BtfKind.PTR:
    case BtfKind.FWD:
    case BtfKind.TYPEDEF:
    case BtfKind.VOLATILE:
    case BtfKind.CONST:
    case BtfKind.RESTRICT:
    case BtfKind.FUNC:
    case BtfKind.FLOAT:
    case BtfKind.TYPE_TAG:
      return 0;
    case BtfKind.ARRAY: return 12;
    case BtfKind.STRUCT:
    case BtfKind.UNION:
    case BtfKind.DATASEC:
    case BtfKind.ENUM64:
      return 12 * vlen;
    case BtfKind.ENUM:
    case BtfKind.FUNC_PROTO:
      return 8 * vlen;
    case BtfKind.VAR:
    case BtfKind.DECL_TAG:
      return 4;
    default:
      return -1;
  }
}

const KIND_NAMES: readonly BtfKindName[] = (() => {
  const names: BtfKindName[] = [];
  for (const [name, value] of Object.entries(BtfKind)) names[value] = name as BtfKindName;
  return names;
})();

/** The `BtfKindName` of a kind number (`'UNKN'` for numbers past `BTF_KIND_MAX`). */
export function kindName(kind: number): BtfKindName {
  return KIND_NAMES[kind] ?? 'UNKN';
}
