import type { Endianness } from '../../src/elf/index.js';

/** A section for {@link buildElf}; contents are laid out in order after the ELF header. */
export interface BuiltSection {
  name: string;
  type: number;
  flags?: bigint;
  data?: Uint8Array;
  /** For NOBITS: the size without contents. */
  size?: number;
  link?: number;
  info?: number;
  addralign?: number;
  entsize?: number;
}

export interface BuildOptions {
  endianness?: Endianness;
  machine?: number;
  /** Write e_shnum = 0 and e_shstrndx = SHN_XINDEX, with the real values in section 0. */
  extendedNumbering?: boolean;
}

/** A writer of fixed-width fields in one byte order, growing as needed. */
export class FieldWriter {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  length = 0;
  constructor(private readonly little: boolean) {}
  private reserve(n: number): number {
    const at = this.length;
    if (at + n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, at + n));
      grown.set(this.bytes);
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length += n;
    return at;
  }
  // reserve() may replace the view, so it runs before the view is read.
  u8(v: number): this { const at = this.reserve(1); this.view.setUint8(at, v); return this; }
  u16(v: number): this { const at = this.reserve(2); this.view.setUint16(at, v, this.little); return this; }
  u32(v: number): this { const at = this.reserve(4); this.view.setUint32(at, v, this.little); return this; }
  u64(v: bigint | number): this { const at = this.reserve(8); this.view.setBigUint64(at, BigInt(v), this.little); return this; }
  raw(b: Uint8Array): this { const at = this.reserve(b.length); this.bytes.set(b, at); return this; }
  align(n: number): this { while (this.length % n !== 0) this.u8(0); return this; }
  finish(): Uint8Array { return this.bytes.slice(0, this.length); }
}

/** Builds a string table and returns it with each name's offset. */
export function stringTable(names: readonly string[]): { data: Uint8Array; offsets: Map<string, number> } {
  const offsets = new Map<string, number>();
  const parts: number[] = [0];
  for (const n of names) {
    if (n === '' || offsets.has(n)) continue;
    offsets.set(n, parts.length);
    parts.push(...Buffer.from(n, 'utf8'), 0);
  }
  offsets.set('', 0);
  return { data: Uint8Array.from(parts), offsets };
}

/** Encodes Elf64_Sym records. */
export function symbols(little: boolean, syms: ReadonlyArray<{ name: number; info: number; other?: number; shndx: number; value?: bigint; size?: bigint }>): Uint8Array {
  const w = new FieldWriter(little);
  for (const s of syms) w.u32(s.name).u8(s.info).u8(s.other ?? 0).u16(s.shndx).u64(s.value ?? 0n).u64(s.size ?? 0n);
  return w.finish();
}

/** Encodes Elf64_Rel records. */
export function rels(little: boolean, entries: ReadonlyArray<{ offset: bigint; symbol: number; type: number }>): Uint8Array {
  const w = new FieldWriter(little);
  for (const r of entries) w.u64(r.offset).u64((BigInt(r.symbol) << 32n) | BigInt(r.type));
  return w.finish();
}

/** Encodes Elf64_Rela records. */
export function relas(little: boolean, entries: ReadonlyArray<{ offset: bigint; symbol: number; type: number; addend: bigint }>): Uint8Array {
  const w = new FieldWriter(little);
  for (const r of entries) w.u64(r.offset).u64((BigInt(r.symbol) << 32n) | BigInt(r.type)).u64(BigInt.asUintN(64, r.addend));
  return w.finish();
}

/**
 * Builds a relocatable ELF64 file: header, section contents in order, then the section header
 * table. Section 0 (SHT_NULL) and the section-name table (last) are added automatically, so the
 * caller's section i ends up at index i + 1.
 */
export function buildElf(sections: readonly BuiltSection[], options: BuildOptions = {}): Uint8Array {
  const little = (options.endianness ?? 'little') === 'little';
  const all: BuiltSection[] = [{ name: '', type: 0 }, ...sections];
  const shstrtab = stringTable([...all.map((s) => s.name), '.shstrtab']);
  all.push({ name: '.shstrtab', type: 3, data: shstrtab.data, addralign: 1 });
  const shstrndx = all.length - 1;
  const w = new FieldWriter(little);
  w.raw(new Uint8Array(64));
  const offsets: number[] = [];
  for (const s of all) {
    w.align(Math.max(1, s.addralign ?? 1));
    offsets.push(w.length);
    if (s.type !== 8 && s.data) w.raw(s.data);
  }
  w.align(8);
  const shoff = w.length;
  all.forEach((s, i) => {
    const extended0 = i === 0 && options.extendedNumbering === true;
    w.u32(shstrtab.offsets.get(s.name) ?? 0)
      .u32(s.type)
      .u64(s.flags ?? 0n)
      .u64(0n)
      .u64(i === 0 ? 0 : (offsets[i] as number))
      .u64(extended0 ? all.length : (s.size ?? s.data?.length ?? 0))
      .u32(extended0 ? shstrndx : (s.link ?? 0))
      .u32(s.info ?? 0)
      .u64(s.addralign ?? 0)
      .u64(s.entsize ?? 0);
  });
  const out = w.finish();
  const h = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, little ? 1 : 2, 1, 0]);
  h.setUint16(16, 1, little); // ET_REL
  h.setUint16(18, options.machine ?? 247, little);
  h.setUint32(20, 1, little);
  h.setBigUint64(40, BigInt(shoff), little);
  h.setUint16(52, 64, little);
  h.setUint16(58, 64, little);
  h.setUint16(60, options.extendedNumbering ? 0 : all.length, little);
  h.setUint16(62, options.extendedNumbering ? 0xffff : shstrndx, little);
  return out;
}

/**
 * A small valid object: .text with 2 instructions, .strtab, .symtab (null, section symbol, a
 * global FUNC), and .rel.text with one relocation against the FUNC. Indices: .text 1, .strtab 2,
 * .symtab 3, .rel.text 4, .shstrtab 5.
 */
export function sampleElf(endianness: Endianness = 'little', machine = 247): Uint8Array {
  const little = endianness === 'little';
  const strtab = stringTable(['prog']);
  return buildElf(
    [
      { name: '.text', type: 1, flags: 0x6n, data: new Uint8Array(16).fill(0x11), addralign: 8 },
      { name: '.strtab', type: 3, data: strtab.data, addralign: 1 },
      {
        name: '.symtab',
        type: 2,
        data: symbols(little, [
          { name: 0, info: 0, shndx: 0 },
          { name: 0, info: 3, shndx: 1 },
          { name: strtab.offsets.get('prog') as number, info: 0x12, shndx: 1, size: 16n },
        ]),
        link: 2,
        info: 2,
        addralign: 8,
        entsize: 24,
      },
      { name: '.rel.text', type: 9, flags: 0x40n, data: rels(little, [{ offset: 8n, symbol: 2, type: 10 }]), link: 3, info: 1, addralign: 8, entsize: 16 },
    ],
    { endianness, machine },
  );
}
