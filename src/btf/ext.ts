import type { Btf } from './btf.js';
import { BtfError } from './errors.js';
import { BTF_MAGIC, BTF_VERSION } from './header.js';

/** `enum bpf_core_relo_kind` (`include/uapi/linux/bpf.h`): what a CO-RE relocation computes. */
export const BpfCoreReloKind = {
  /** `BPF_CORE_FIELD_BYTE_OFFSET`: field byte offset. */
  FIELD_BYTE_OFFSET: 0,
  /** `BPF_CORE_FIELD_BYTE_SIZE`: field size in bytes. */
  FIELD_BYTE_SIZE: 1,
  /** `BPF_CORE_FIELD_EXISTS`: field existence in target kernel. */
  FIELD_EXISTS: 2,
  /** `BPF_CORE_FIELD_SIGNED`: field signedness (0 - unsigned, 1 - signed). */
  FIELD_SIGNED: 3,
  /** `BPF_CORE_FIELD_LSHIFT_U64`: bitfield-specific left bitshift. */
  FIELD_LSHIFT_U64: 4,
  /** `BPF_CORE_FIELD_RSHIFT_U64`: bitfield-specific right bitshift. */
  FIELD_RSHIFT_U64: 5,
  /** `BPF_CORE_TYPE_ID_LOCAL`: type ID in local BPF object. */
  TYPE_ID_LOCAL: 6,
  /** `BPF_CORE_TYPE_ID_TARGET`: type ID in target kernel. */
  TYPE_ID_TARGET: 7,
  /** `BPF_CORE_TYPE_EXISTS`: type existence in target kernel. */
  TYPE_EXISTS: 8,
  /** `BPF_CORE_TYPE_SIZE`: type size in bytes. */
  TYPE_SIZE: 9,
  /** `BPF_CORE_ENUMVAL_EXISTS`: enum value existence in target kernel. */
  ENUMVAL_EXISTS: 10,
  /** `BPF_CORE_ENUMVAL_VALUE`: enum value integer value. */
  ENUMVAL_VALUE: 11,
  /** `BPF_CORE_TYPE_MATCHES`: type match in target kernel (kernel 6.2+ semantics, libbpf 1.1). */
  TYPE_MATCHES: 12,
} as const;
export type BpfCoreReloKind = (typeof BpfCoreReloKind)[keyof typeof BpfCoreReloKind];

/** `struct bpf_func_info` as stored in `.BTF.ext` (`insn_off` in bytes from the section start). */
export interface BtfExtFuncInfo {
  /** Byte offset of the function's first instruction in its ELF section. */
  readonly insnOff: number;
  /** The FUNC type id in the object's `.BTF`. */
  readonly typeId: number;
}

/** `struct bpf_line_info` as stored in `.BTF.ext`. */
export interface BtfExtLineInfo {
  /** Byte offset of the instruction in its ELF section. */
  readonly insnOff: number;
  /** `file_name_off` into `.BTF` strings, and the name it points to. */
  readonly fileNameOff: number;
  readonly fileName: string;
  /** `line_off` into `.BTF` strings (the source line's text), and that text. */
  readonly lineOff: number;
  readonly line: string;
  /** `BPF_LINE_INFO_LINE_NUM(line_col)`: the upper 22 bits. */
  readonly lineNum: number;
  /** `BPF_LINE_INFO_LINE_COL(line_col)`: the lower 10 bits. */
  readonly column: number;
}

/** `struct bpf_core_relo`. */
export interface BtfExtCoreRelo {
  /** Byte offset of the instruction to patch in its ELF section. */
  readonly insnOff: number;
  /** Root type id in the object's `.BTF`. */
  readonly typeId: number;
  /** `access_str_off` and the access string it points to (`"0:1:2"`). */
  readonly accessStrOff: number;
  readonly accessStr: string;
  readonly kind: BpfCoreReloKind;
}

/** One `struct btf_ext_info_sec`: the records of one ELF section (`sec_name_off`). */
export interface BtfExtSection<R> {
  /** ELF section name, e.g. `tracepoint/syscalls/sys_enter_openat` or `.text`. */
  readonly section: string;
  readonly records: readonly R[];
}

/** Parsed `.BTF.ext` (`struct btf_ext` of libbpf): per-ELF-section func, line and CO-RE records. */
export interface BtfExt {
  readonly littleEndian: boolean;
  /** `record_size` of each info kind as written by the compiler (0 when the kind is absent). */
  readonly funcInfoRecordSize: number;
  readonly lineInfoRecordSize: number;
  readonly coreReloRecordSize: number;
  readonly funcInfo: readonly BtfExtSection<BtfExtFuncInfo>[];
  readonly lineInfo: readonly BtfExtSection<BtfExtLineInfo>[];
  readonly coreRelos: readonly BtfExtSection<BtfExtCoreRelo>[];
}

/** Minimal record sizes: `bpf_func_info`, `bpf_line_info`, `bpf_core_relo`. */
const MIN_RECORD = { func: 8, line: 16, core: 16 } as const;
/** `offsetofend(struct btf_ext_header, line_info_len)` and `..., core_relo_len)`. */
const HDR_LINE_END = 24;
const HDR_CORE_END = 32;

/**
 * `btf_ext__new`: parses a `.BTF.ext` section, resolving names against the object's `.BTF`.
 * Larger record sizes than known are accepted (extra fields are skipped), as in libbpf;
 * byte-swapped input needs exact sizes.
 *
 * @example
 * ```ts
 * const ext = parseBtfExt(elf.sectionByName('.BTF.ext')!.data(), btf);
 * for (const s of ext.coreRelos) console.log(s.section, s.records.length);
 * ```
 */
export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  if (bytes.length < 8) throw new BtfError(`.BTF.ext header truncated: ${bytes.length} bytes`, { offset: 0 });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  if (view.getUint16(0, true) === BTF_MAGIC) le = true;
  else if (view.getUint16(0, false) === BTF_MAGIC) le = false;
  else throw new BtfError(`bad .BTF.ext magic 0x${view.getUint16(0, true).toString(16)}`, { offset: 0 });
  if (view.getUint8(2) !== BTF_VERSION) throw new BtfError(`unsupported .BTF.ext version ${view.getUint8(2)}`, { offset: 2 });
  if (view.getUint8(3) !== 0) throw new BtfError(`unsupported .BTF.ext flags 0x${view.getUint8(3).toString(16)}`, { offset: 3 });
  const hdrLen = view.getUint32(4, le);
  if (hdrLen > bytes.length) throw new BtfError(`.BTF.ext hdr_len ${hdrLen} exceeds section size ${bytes.length}`, { offset: 4 });
  if (hdrLen < HDR_LINE_END) throw new BtfError(`.BTF.ext hdr_len ${hdrLen} is missing func_info/line_info`, { offset: 4 });
  const u32 = (o: number): number => view.getUint32(o, le);
  // Every line_info record names the same few files: each offset is decoded once.
  const decoded = new Map<number, string>();
  const str = (off: number, at: number): string => {
    const known = decoded.get(off);
    if (known !== undefined) return known;
    if (!btf.strings.has(off)) throw new BtfError(`.BTF.ext string offset ${off} is outside .BTF's string section`, { offset: at });
    const s = btf.strings.get(off);
    decoded.set(off, s);
    return s;
  };

  const parseInfo = <R>(hdrField: number, min: number, what: string, read: (at: number) => R): { size: number; sections: BtfExtSection<R>[] } => {
    const off = u32(hdrField);
    const len = u32(hdrField + 4);
    if (len === 0) return { size: 0, sections: [] };
    if (off % 4 !== 0) throw new BtfError(`.BTF.ext ${what} is not 4-byte aligned`, { offset: hdrField });
    const start = hdrLen + off;
    const end = start + len;
    if (end > bytes.length) throw new BtfError(`.BTF.ext ${what} [${start}, ${end}) runs past the ${bytes.length}-byte section`, { offset: hdrField });
    if (len < 4) throw new BtfError(`.BTF.ext ${what} has no record size`, { offset: start });
    const size = u32(start);
    if (size < min || size % 4 !== 0 || (!le && size !== min)) throw new BtfError(`.BTF.ext ${what} has invalid record size ${size}`, { offset: start });
    if (len === 4) throw new BtfError(`.BTF.ext ${what} has no records`, { offset: start });
    const sections: BtfExtSection<R>[] = [];
    for (let p = start + 4; p < end; ) {
      if (end - p < 8) throw new BtfError(`.BTF.ext ${what} section header truncated`, { offset: p });
      const section = str(u32(p), p);
      const count = u32(p + 4);
      if (count === 0 || (end - p - 8) / size < count) throw new BtfError(`.BTF.ext ${what} section '${section}' has invalid num_info ${count}`, { offset: p + 4 });
      const records: R[] = new Array<R>(count);
      for (let i = 0, r = p + 8; i < count; i++, r += size) records[i] = read(r);
      sections.push({ section, records });
      p += 8 + count * size;
    }
    return { size, sections };
  };

  const func = parseInfo(8, MIN_RECORD.func, 'func_info', (r): BtfExtFuncInfo => ({ insnOff: u32(r), typeId: u32(r + 4) }));
  const line = parseInfo(16, MIN_RECORD.line, 'line_info', (r): BtfExtLineInfo => {
    const fileNameOff = u32(r + 4);
    const lineOff = u32(r + 8);
    const lineCol = u32(r + 12);
    return { insnOff: u32(r), fileNameOff, fileName: str(fileNameOff, r + 4), lineOff, line: str(lineOff, r + 8), lineNum: lineCol >>> 10, column: lineCol & 0x3ff };
  });
  const core =
    hdrLen >= HDR_CORE_END
      ? parseInfo(24, MIN_RECORD.core, 'core_relo', (r): BtfExtCoreRelo => {
          const accessStrOff = u32(r + 8);
          const kind = u32(r + 12);
          if (kind > BpfCoreReloKind.TYPE_MATCHES) throw new BtfError(`unknown CO-RE relocation kind ${kind}`, { offset: r + 12 });
          return { insnOff: u32(r), typeId: u32(r + 4), accessStrOff, accessStr: str(accessStrOff, r + 8), kind: kind as BpfCoreReloKind };
        })
      : { size: 0, sections: [] };
  return {
    littleEndian: le,
    funcInfoRecordSize: func.size,
    lineInfoRecordSize: line.size,
    coreReloRecordSize: core.size,
    funcInfo: func.sections,
    lineInfo: line.sections,
    coreRelos: core.sections,
  };
}
