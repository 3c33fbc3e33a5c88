/**
 * Small BTFs built from type lists with the project's own encoder, for CO-RE cases the corpus
 * cannot produce (huge offsets, 128-bit ints, module-only types, crafted flavors).
 */
import { BtfStringTable, encodeBtf, parseBtf, type Btf, type BtfMember, type BtfType } from '../../src/btf/index.js';

/** A type without its id: ids are positions (1-based, or after the base for split BTF). */
export type TypeSpec = BtfType extends infer T ? (T extends BtfType ? Omit<T, 'id'> : never) : never;

export const int = (name: string, size: number, signed: boolean): TypeSpec => ({ kind: 'INT', name, size, encoding: signed ? 1 : 0, bitOffset: 0, bits: size * 8 });
export const ptr = (type: number): TypeSpec => ({ kind: 'PTR', name: '', type });
export const array = (type: number, nelems: number, indexType: number): TypeSpec => ({ kind: 'ARRAY', name: '', type, indexType, nelems });
export const typedef = (name: string, type: number): TypeSpec => ({ kind: 'TYPEDEF', name, type });
export const enumOf = (name: string, values: Record<string, number>): TypeSpec => ({
  kind: 'ENUM',
  name,
  size: 4,
  signed: false,
  values: Object.entries(values).map(([n, value]) => ({ name: n, value })),
});

/** `m('a', 1, 32)` is member a of type 1 at bit 32; a fourth argument makes it a bitfield. */
export function m(name: string, type: number, bitOffset: number, bitfieldSize = 0): BtfMember {
  return { name, type, bitOffset, bitfieldSize };
}

export function struct(name: string, size: number, members: readonly BtfMember[], kind: 'STRUCT' | 'UNION' = 'STRUCT'): TypeSpec {
  return { kind, name, size, kindFlag: members.some((x) => x.bitfieldSize > 0), members };
}

/** Encodes and parses `types` (ids from 1, or after `base` for split BTF). */
export function buildBtf(types: readonly TypeSpec[], base?: Btf): Btf {
  const first = base?.typeCount ?? 1;
  const withIds = types.map((t, i) => ({ ...t, id: first + i }) as BtfType);
  const bytes = encodeBtf(withIds, new BtfStringTable(base?.strings));
  return base === undefined ? parseBtf(bytes) : parseBtf(bytes, { base });
}

/** Instruction bytes (little-endian) from `[code, dst, src, off, imm]` tuples. */
export function insns(...list: readonly (readonly [number, number, number, number, number])[]): Uint8Array {
  const out = new Uint8Array(list.length * 8);
  const v = new DataView(out.buffer);
  list.forEach(([code, dst, src, off, imm], i) => {
    v.setUint8(i * 8, code);
    v.setUint8(i * 8 + 1, (src << 4) | dst);
    v.setInt16(i * 8 + 2, off, true);
    v.setInt32(i * 8 + 4, imm, true);
  });
  return out;
}

/** Common opcodes. */
export const OP = {
  MOV64_K: 0xb7,
  MOV64_X: 0xbf,
  ADD64_K: 0x07,
  LDX_W: 0x61,
  LDX_DW: 0x79,
  LDX_B: 0x71,
  STX_W: 0x63,
  ST_W: 0x62,
  LD_IMM64: 0x18,
  EXIT: 0x95,
  CALL: 0x85,
} as const;
