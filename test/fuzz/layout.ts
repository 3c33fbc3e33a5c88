/**
 * Where the structure of a BPF object lives, as byte offsets into the file: ELF header fields,
 * section headers, symbols, relocations, BTF type records and `.BTF.ext` records. The mutators
 * aim at these slots (a random byte flip mostly lands in DWARF or string data and proves
 * little). Computed once per corpus object from the unmutated bytes, with a walker of our own so
 * a parser bug cannot hide a slot from its own fuzzer.
 */
import { parseElf, SectionType, type ElfFile } from '../../src/elf/index.js';

/** A field to overwrite: file offset and width in bytes. */
export interface Slot {
  readonly at: number;
  readonly width: 1 | 2 | 4 | 8;
}

/** A BTF type record: its id and the file offset of its `name_off`. */
export interface BtfRecord {
  readonly id: number;
  readonly at: number;
  readonly kind: number;
  /** The `type` field holding a referenced type id, for the kinds that have one. */
  readonly typeRef?: number;
}

export interface ObjectLayout {
  readonly little: boolean;
  /** e_shoff, e_shnum, e_shstrndx, e_shentsize, e_ehsize... */
  readonly header: readonly Slot[];
  /** sh_name, sh_type, sh_offset, sh_size, sh_link, sh_info, sh_entsize of every section. */
  readonly sectionHeaders: readonly Slot[];
  /** st_name, st_shndx, st_value, st_size of every symbol. */
  readonly symbols: readonly Slot[];
  /** r_offset and r_info (symbol index and type) of every relocation. */
  readonly relocations: readonly Slot[];
  /** Sections holding instructions: file offset and size. */
  readonly programs: ReadonlyArray<{ readonly at: number; readonly size: number }>;
  readonly btf?: BtfLayout;
  readonly btfExt?: BtfExtLayout;
}

export interface BtfLayout {
  /** The `.BTF` section in the file. */
  readonly at: number;
  readonly size: number;
  /** type_off, type_len, str_off, str_len, hdr_len as file slots. */
  readonly header: readonly Slot[];
  readonly strLen: number;
  readonly records: readonly BtfRecord[];
  /** Every u32 holding a type id (ref kinds, array elem/index, members, params, datasec vars). */
  readonly typeIds: readonly Slot[];
  /** Every u32 holding a string offset (`name_off` of types, members, params, enumerators). */
  readonly names: readonly Slot[];
  /** vlen (u16 in info) and counts/sizes: array nelems, struct size, member offsets. */
  readonly counts: readonly Slot[];
}

export interface BtfExtLayout {
  readonly at: number;
  readonly size: number;
  readonly header: readonly Slot[];
  /** `sec_name_off` and `num_info` of each info section. */
  readonly sectionHeads: readonly Slot[];
  /** `insn_off` of every func, line and CO-RE record. */
  readonly insnOffs: readonly Slot[];
  /** Other fields of records: type ids, string offsets, line/col, CO-RE kind. */
  readonly recordFields: readonly Slot[];
}

const ELF_HEADER_SLOTS: readonly Slot[] = [
  { at: 4, width: 1 }, // EI_CLASS
  { at: 5, width: 1 }, // EI_DATA
  { at: 6, width: 1 }, // EI_VERSION
  { at: 16, width: 2 }, // e_type
  { at: 18, width: 2 }, // e_machine
  { at: 40, width: 8 }, // e_shoff
  { at: 52, width: 2 }, // e_ehsize
  { at: 58, width: 2 }, // e_shentsize
  { at: 60, width: 2 }, // e_shnum
  { at: 62, width: 2 }, // e_shstrndx
];

/** Kinds whose third word is a type id (PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, VAR, DECL_TAG, TYPE_TAG). */
const REF_KINDS = new Set([2, 8, 9, 10, 11, 12, 14, 17, 18]);

export function objectLayout(bytes: Uint8Array): ObjectLayout {
  const elf = parseElf(bytes);
  const little = elf.endianness === 'little';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(elf.header.sectionHeaderOffset);
  const sectionHeaders: Slot[] = [];
  const symbols: Slot[] = [];
  const relocations: Slot[] = [];
  const programs: Array<{ at: number; size: number }> = [];
  elf.sections.forEach((s, i) => {
    const h = shoff + i * 64;
    for (const [off, width] of [[0, 4], [4, 4], [24, 8], [32, 8], [40, 4], [44, 4], [56, 8]] as const) sectionHeaders.push({ at: h + off, width });
    if (s.type === SectionType.SYMTAB) {
      for (let p = s.offset; p + 24 <= s.offset + s.size; p += 24) symbols.push({ at: p, width: 4 }, { at: p + 6, width: 2 }, { at: p + 8, width: 8 }, { at: p + 16, width: 8 });
    }
    if (s.type === SectionType.REL) {
      for (let p = s.offset; p + 16 <= s.offset + s.size; p += 16) relocations.push({ at: p, width: 8 }, { at: p + 8, width: 4 }, { at: p + 12, width: 4 });
    }
    if ((s.flags & 4n) !== 0n && s.size > 0) programs.push({ at: s.offset, size: s.size }); // SHF_EXECINSTR
  });
  const layout: { -readonly [K in keyof ObjectLayout]: ObjectLayout[K] } = { little, header: ELF_HEADER_SLOTS, sectionHeaders, symbols, relocations, programs };
  const btfSection = elf.sectionByName('.BTF');
  if (btfSection !== undefined && btfSection.size >= 24) layout.btf = btfLayout(view, btfSection.offset, btfSection.size, little);
  const extSection = elf.sectionByName('.BTF.ext');
  if (extSection !== undefined && extSection.size >= 32) layout.btfExt = btfExtLayout(view, extSection.offset, extSection.size, little);
  return layout;
}

/** Walks the type records of a `.BTF` blob at file offset `at`. */
export function btfLayout(view: DataView, at: number, size: number, little: boolean): BtfLayout {
  const u32 = (o: number): number => view.getUint32(o, little);
  const hdrLen = u32(at + 4);
  const typeStart = at + hdrLen + u32(at + 8);
  const typeEnd = typeStart + u32(at + 12);
  const header: Slot[] = [4, 8, 12, 16, 20].map((o) => ({ at: at + o, width: 4 as const }));
  const records: BtfRecord[] = [];
  const typeIds: Slot[] = [];
  const names: Slot[] = [];
  const counts: Slot[] = [];
  let id = 1;
  for (let p = typeStart; p + 12 <= typeEnd; id++) {
    const info = u32(p + 4);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    names.push({ at: p, width: 4 });
    counts.push({ at: p + 4 + (little ? 0 : 2), width: 2 });
    let extra = 0;
    let typeRef: number | undefined;
    switch (kind) {
      case 1: case 16: extra = kind === 1 ? 4 : 0; counts.push({ at: p + 8, width: 4 }); break; // INT, FLOAT: size
      case 3: // ARRAY: type, index_type, nelems
        extra = 12;
        typeIds.push({ at: p + 12, width: 4 }, { at: p + 16, width: 4 });
        counts.push({ at: p + 20, width: 4 });
        typeRef = p + 12;
        break;
      case 4: case 5: // STRUCT, UNION: name_off, type, offset
        extra = vlen * 12;
        counts.push({ at: p + 8, width: 4 });
        for (let m = 0; m < vlen; m++) {
          names.push({ at: p + 12 + m * 12, width: 4 });
          typeIds.push({ at: p + 16 + m * 12, width: 4 });
          counts.push({ at: p + 20 + m * 12, width: 4 });
        }
        if (vlen > 0) typeRef = p + 16;
        break;
      case 6: extra = vlen * 8; for (let m = 0; m < vlen; m++) names.push({ at: p + 12 + m * 8, width: 4 }); break;
      case 19: extra = vlen * 12; for (let m = 0; m < vlen; m++) names.push({ at: p + 12 + m * 12, width: 4 }); break;
      case 13: // FUNC_PROTO: return type, then name_off, type per parameter
        extra = vlen * 8;
        typeIds.push({ at: p + 8, width: 4 });
        for (let m = 0; m < vlen; m++) {
          names.push({ at: p + 12 + m * 8, width: 4 });
          typeIds.push({ at: p + 16 + m * 8, width: 4 });
        }
        typeRef = p + 8;
        break;
      case 15: // DATASEC: type, offset, size
        extra = vlen * 12;
        for (let m = 0; m < vlen; m++) {
          typeIds.push({ at: p + 12 + m * 12, width: 4 });
          counts.push({ at: p + 16 + m * 12, width: 4 }, { at: p + 20 + m * 12, width: 4 });
        }
        break;
      case 14: case 17: extra = 4; break; // VAR linkage, DECL_TAG component_idx
      default: break;
    }
    if (REF_KINDS.has(kind)) {
      typeIds.push({ at: p + 8, width: 4 });
      typeRef = p + 8;
    }
    records.push(typeRef === undefined ? { id, at: p, kind } : { id, at: p, kind, typeRef });
    p += 12 + extra;
  }
  return { at, size, header, strLen: u32(at + 20), records, typeIds, names, counts };
}

/** Walks the func_info, line_info and core_relo subsections of a `.BTF.ext` blob. */
export function btfExtLayout(view: DataView, at: number, size: number, little: boolean): BtfExtLayout {
  const u32 = (o: number): number => view.getUint32(o, little);
  const hdrLen = u32(at + 4);
  const header: Slot[] = [4, 8, 12, 16, 20, 24, 28].map((o) => ({ at: at + o, width: 4 as const }));
  const sectionHeads: Slot[] = [];
  const insnOffs: Slot[] = [];
  const recordFields: Slot[] = [];
  const infos = hdrLen >= 32 ? [8, 16, 24] : [8, 16];
  for (const field of infos) {
    const start = at + hdrLen + u32(at + field);
    const end = start + u32(at + field + 4);
    if (end > at + size || end <= start) continue;
    const recSize = u32(start);
    if (recSize < 8 || recSize > 64) continue;
    for (let p = start + 4; p + 8 <= end; ) {
      const n = u32(p + 4);
      sectionHeads.push({ at: p, width: 4 }, { at: p + 4, width: 4 });
      p += 8;
      for (let r = 0; r < n && p + recSize <= end; r++, p += recSize) {
        insnOffs.push({ at: p, width: 4 });
        for (let f = 4; f < recSize; f += 4) recordFields.push({ at: p + f, width: 4 });
      }
    }
  }
  return { at, size, header, sectionHeads, insnOffs, recordFields };
}

/** The ELF file of an object, for targets that need its section contents. */
export function elfOf(bytes: Uint8Array): ElfFile {
  return parseElf(bytes);
}
