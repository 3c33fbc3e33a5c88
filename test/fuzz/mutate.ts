/**
 * Mutation strategies for BPF objects. Each takes the unmutated bytes and their layout, and
 * returns new bytes plus a short description (printed with a finding, so a reader knows what
 * kind of damage broke the parser). All randomness comes from the case's {@link Prng}, so a case
 * is reproduced by its seed alone.
 */
import type { Prng } from '../helpers/prng.js';
import type { BtfExtLayout, BtfLayout, ObjectLayout, Slot } from './layout.js';

export interface Mutation {
  readonly bytes: Uint8Array;
  readonly how: string;
}

/** Values at the edges of every width: zero, one, sign bits, all-ones, near the input size. */
const EDGES = [0n, 1n, 2n, 3n, 4n, 7n, 8n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x10000n, 0x7fffffffn, 0x80000000n, 0xfffffff8n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0xffffffffffffffffn];

function mask(width: number): bigint {
  return (1n << BigInt(width * 8)) - 1n;
}

/** Writes `value` (truncated to the width) at a slot, in the object's byte order; out-of-range slots are skipped. */
export function writeSlot(bytes: Uint8Array, slot: Slot, value: bigint, little: boolean): void {
  if (slot.at < 0 || slot.at + slot.width > bytes.length) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const v = value & mask(slot.width);
  switch (slot.width) {
    case 1: view.setUint8(slot.at, Number(v)); break;
    case 2: view.setUint16(slot.at, Number(v), little); break;
    case 4: view.setUint32(slot.at, Number(v), little); break;
    case 8: view.setBigUint64(slot.at, v, little); break;
  }
}

export function readSlot(bytes: Uint8Array, slot: Slot, little: boolean): bigint {
  if (slot.at < 0 || slot.at + slot.width > bytes.length) return 0n;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (slot.width) {
    case 1: return BigInt(view.getUint8(slot.at));
    case 2: return BigInt(view.getUint16(slot.at, little));
    case 4: return BigInt(view.getUint32(slot.at, little));
    case 8: return view.getBigUint64(slot.at, little);
  }
}

/** An interesting value for a field: an edge, the input size (+/- a little), or the old value nudged. */
function interesting(rng: Prng, old: bigint, size: number): bigint {
  switch (rng.below(5)) {
    case 0: case 1: return rng.pick(EDGES);
    case 2: return BigInt(size + rng.below(64)) - 32n;
    case 3: return old + BigInt(rng.below(17)) - 8n;
    default: return old ^ (1n << BigInt(rng.below(32)));
  }
}

function hitSlots(rng: Prng, base: Uint8Array, little: boolean, slots: readonly Slot[], what: string): Mutation | undefined {
  if (slots.length === 0) return undefined;
  const bytes = base.slice();
  const n = 1 + rng.below(3);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const slot = rng.pick(slots);
    const value = interesting(rng, readSlot(bytes, slot, little), base.length);
    writeSlot(bytes, slot, value, little);
    parts.push(`@${slot.at}=0x${(value & mask(slot.width)).toString(16)}`);
  }
  return { bytes, how: `${what} ${parts.join(' ')}` };
}

/** Random bytes or bit flips at random positions anywhere. */
export function byteNoise(rng: Prng, base: Uint8Array, region?: { at: number; size: number }): Mutation {
  const bytes = base.slice();
  const from = region?.at ?? 0;
  const size = region?.size ?? base.length;
  const n = 1 + rng.below(8);
  for (let i = 0; i < n && size > 0; i++) {
    const at = from + rng.below(size);
    bytes[at] = rng.below(2) === 0 ? rng.below(256) : (bytes[at] as number) ^ (1 << rng.below(8));
  }
  return { bytes, how: `${n} random bytes in [${from}, ${from + size})` };
}

/** A prefix: cut anywhere, or just inside/after a structure boundary. */
export function truncate(rng: Prng, base: Uint8Array, boundaries: readonly number[]): Mutation {
  const len = rng.below(2) === 0 || boundaries.length === 0 ? rng.below(base.length) : Math.max(0, Math.min(base.length - 1, rng.pick(boundaries) + rng.below(9) - 4));
  return { bytes: base.slice(0, len), how: `truncated to ${len} bytes` };
}

/** The whole object read in the other byte order (EI_DATA flipped): every field becomes byte-swapped garbage. */
export function swapElfEndianness(base: Uint8Array): Mutation {
  const bytes = base.slice();
  if (bytes.length > 5) bytes[5] = bytes[5] === 1 ? 2 : 1;
  return { bytes, how: 'EI_DATA flipped (other byte order)' };
}

/** ELF structure: header fields, section headers (offsets, sizes, links), symbols, relocations. */
export function elfFields(rng: Prng, base: Uint8Array, layout: ObjectLayout): Mutation | undefined {
  const which = rng.below(4);
  const slots = [layout.header, layout.sectionHeaders, layout.symbols, layout.relocations][which] as readonly Slot[];
  return hitSlots(rng, base, layout.little, slots, ['ELF header', 'section headers', 'symbols', 'relocations'][which] as string);
}

/** Relocations moved outside their target section or naming symbols past the table. */
export function relocationsOutside(rng: Prng, base: Uint8Array, layout: ObjectLayout): Mutation | undefined {
  if (layout.relocations.length === 0) return undefined;
  const bytes = base.slice();
  const rels = layout.relocations.filter((s) => s.width === 8);
  const rel = rng.pick(rels);
  const choice = rng.below(3);
  if (choice === 0) writeSlot(bytes, rel, rng.pick([BigInt(base.length), 0xfffffff8n, 0xffffffffffffff00n, BigInt(rng.below(1 << 20)) * 8n]), layout.little);
  else if (choice === 1) writeSlot(bytes, { at: rel.at + (layout.little ? 12 : 8), width: 4 }, rng.pick([0xffffn, 0xffffffffn, BigInt(rng.below(4096))]), layout.little);
  else writeSlot(bytes, { at: rel.at + (layout.little ? 8 : 12), width: 4 }, BigInt(rng.below(16)), layout.little);
  return { bytes, how: `relocation @${rel.at} ${['offset past section', 'symbol index out of range', 'relocation type changed'][choice]}` };
}

/** BTF: header lengths, counts, vlen, nelems, sizes, member offsets to extremes. */
export function btfCounts(rng: Prng, base: Uint8Array, layout: ObjectLayout): Mutation | undefined {
  const btf = layout.btf;
  if (btf === undefined) return undefined;
  return hitSlots(rng, base, layout.little, rng.below(4) === 0 ? btf.header : btf.counts, 'BTF counts');
}

/** BTF: type references bent into cycles (self, pairs, a chain back to its start) or past the last id. */
export function btfCycles(rng: Prng, base: Uint8Array, layout: ObjectLayout): Mutation | undefined {
  const btf = layout.btf;
  if (btf === undefined) return undefined;
  const refs = btf.records.filter((r) => r.typeRef !== undefined);
  if (refs.length === 0) return undefined;
  const bytes = base.slice();
  const choice = rng.below(4);
  const a = rng.pick(refs);
  if (choice === 0) {
    writeSlot(bytes, { at: a.typeRef as number, width: 4 }, BigInt(a.id), layout.little);
    return { bytes, how: `BTF type ${a.id} (kind ${a.kind}) refers to itself` };
  }
  if (choice === 1) {
    const b = rng.pick(refs);
    writeSlot(bytes, { at: a.typeRef as number, width: 4 }, BigInt(b.id), layout.little);
    writeSlot(bytes, { at: b.typeRef as number, width: 4 }, BigInt(a.id), layout.little);
    return { bytes, how: `BTF types ${a.id} <-> ${b.id} refer to each other` };
  }
  if (choice === 2) {
    const chain = Array.from({ length: 2 + rng.below(6) }, () => rng.pick(refs));
    chain.forEach((r, i) => writeSlot(bytes, { at: r.typeRef as number, width: 4 }, BigInt((chain[(i + 1) % chain.length] as typeof r).id), layout.little));
    return { bytes, how: `BTF cycle through ${chain.map((r) => r.id).join(' -> ')}` };
  }
  const slot = rng.pick(btf.typeIds);
  const past = BigInt(btf.records.length + 1 + rng.below(3)) + (rng.below(2) === 0 ? 0n : 0x7fffffffn);
  writeSlot(bytes, slot, past, layout.little);
  return { bytes, how: `BTF type id @${slot.at} = ${past} (past the last type)` };
}

/** BTF: string offsets out of range (just past the end, huge, or into the middle of a name). */
export function btfStrings(rng: Prng, base: Uint8Array, layout: ObjectLayout): Mutation | undefined {
  const btf = layout.btf;
  if (btf === undefined || btf.names.length === 0) return undefined;
  const bytes = base.slice();
  const slot = rng.pick(btf.names);
  const value = rng.pick([BigInt(btf.strLen), BigInt(btf.strLen + 1), BigInt(btf.strLen - 1), 0xffffffffn, 0x80000000n, BigInt(rng.below(btf.strLen + 1))]);
  writeSlot(bytes, slot, value, layout.little);
  return { bytes, how: `BTF name_off @${slot.at} = ${value} (str_len ${btf.strLen})` };
}

/** BTF: the magic byte-swapped, so the blob reads in the other byte order. */
export function btfSwapped(base: Uint8Array, layout: ObjectLayout): Mutation | undefined {
  const btf = layout.btf;
  if (btf === undefined) return undefined;
  const bytes = base.slice();
  const a = bytes[btf.at] as number;
  bytes[btf.at] = bytes[btf.at + 1] as number;
  bytes[btf.at + 1] = a;
  return { bytes, how: 'BTF magic byte-swapped' };
}

/** .BTF.ext: records pointing past their program, counts too large, bad section names and fields. */
export function btfExtRecords(rng: Prng, base: Uint8Array, layout: ObjectLayout): Mutation | undefined {
  const ext = layout.btfExt;
  if (ext === undefined) return undefined;
  const bytes = base.slice();
  const choice = rng.below(4);
  if (choice === 0 && ext.insnOffs.length > 0) {
    const slot = rng.pick(ext.insnOffs);
    const progBytes = layout.programs.reduce((m, p) => Math.max(m, p.size), 0);
    const value = rng.pick([BigInt(progBytes), BigInt(progBytes + 8), BigInt(progBytes * 2), 0xfffffff8n, BigInt(rng.below(progBytes + 1)) | 1n]);
    writeSlot(bytes, slot, value, layout.little);
    return { bytes, how: `.BTF.ext insn_off @${slot.at} = ${value} (largest program ${progBytes} bytes)` };
  }
  const slots = [ext.header, ext.sectionHeads, ext.recordFields, ext.insnOffs][choice] as readonly Slot[];
  return hitSlots(rng, base, layout.little, slots, ['.BTF.ext header', '.BTF.ext section heads', '.BTF.ext record fields', '.BTF.ext insn_off'][choice] as string);
}

/** Instructions: opcodes, registers, offsets and immediates of program sections. */
export function instructionNoise(rng: Prng, base: Uint8Array, layout: ObjectLayout): Mutation | undefined {
  if (layout.programs.length === 0) return undefined;
  const prog = rng.pick(layout.programs);
  const bytes = base.slice();
  const n = 1 + rng.below(4);
  for (let i = 0; i < n; i++) {
    const slot = prog.at + rng.below(prog.size >> 3) * 8;
    const field = rng.below(4);
    if (field === 0) bytes[slot] = rng.pick([0x18, 0x85, 0x95, 0x05, 0x07, 0xb7, 0xbf, 0x61, 0x63, 0x79, 0x7b, 0x8d, 0xdb, 0xc3, 0xd4, 0xdc, rng.below(256)]);
    else if (field === 1) bytes[slot + 1] = rng.below(256);
    else if (field === 2) writeSlot(bytes, { at: slot + 2, width: 2 }, rng.pick([0n, 0x7fffn, 0x8000n, 0xffffn, BigInt(rng.below(65536))]), layout.little);
    else writeSlot(bytes, { at: slot + 4, width: 4 }, interesting(rng, 0n, prog.size), layout.little);
  }
  return { bytes, how: `${n} instruction fields in the program at ${prog.at}` };
}

/** Boundaries worth truncating at: section starts and ends, BTF and ext subsections. */
export function boundariesOf(layout: ObjectLayout, sections: ReadonlyArray<{ offset: number; size: number }>): number[] {
  const out: number[] = [64];
  for (const s of sections) out.push(s.offset, s.offset + s.size);
  const btf: BtfLayout | undefined = layout.btf;
  if (btf !== undefined) for (const r of btf.records.slice(0, 64)) out.push(r.at);
  const ext: BtfExtLayout | undefined = layout.btfExt;
  if (ext !== undefined) for (const s of ext.sectionHeads.slice(0, 32)) out.push(s.at);
  return out;
}
