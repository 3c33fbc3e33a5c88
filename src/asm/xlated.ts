import { decodeInstructions, type Endianness } from './codec.js';
import { formatInstruction, type DisasmCallbacks } from './disasm.js';
import { isLdImm64, type DecodedInstruction, type Instruction } from './instruction.js';
import { INSN_SIZE, PseudoCall, PseudoLdImm64 } from './opcodes.js';

/** One `struct bpf_func_info` record of a loaded program. */
export interface XlatedFuncInfo {
  /** `insn_off`. */
  readonly insnOff: number;
  /** `type_id` of the `BTF_KIND_FUNC` in the program's BTF. */
  readonly typeId: number;
}

/** One `struct bpf_line_info` record of a loaded program. */
export interface XlatedLineInfo {
  /** `insn_off`. */
  readonly insnOff: number;
  /** `file_name_off` in the program's BTF strings. */
  readonly fileNameOff: number;
  /** `line_off` in the program's BTF strings. */
  readonly lineOff: number;
  /** `BPF_LINE_INFO_LINE_NUM(line_col)`. */
  readonly line: number;
  /** `BPF_LINE_INFO_LINE_COL(line_col)`. */
  readonly column: number;
}

/**
 * What bpftool's xlated dumper (`tools/bpf/bpftool/xlated_dumper.c`) knows besides the
 * instructions: kernel symbols, the program's JITed function addresses, and its BTF records.
 * The kernel facts are passed in so this stays pure.
 */
export interface XlatedDumpContext {
  /** Exact-address lookup in `/proc/kallsyms` (`kernel_syms_search`); absent when unreadable. */
  readonly kernelSymbol?: (address: bigint) => string | undefined;
  /** Address of `__bpf_call_base`, which helper `imm`s are relative to (0 when unknown). */
  readonly callBase?: bigint;
  /** `jited_ksyms`: address of each JITed subprogram (empty for interpreted programs). */
  readonly jitedKsyms?: readonly bigint[];
  /** `func_info`, used only together with `funcSignature`. */
  readonly funcInfo?: readonly XlatedFuncInfo[];
  /** bpftool's `btf_dumper_type_only()` of a FUNC type id; `''` when it cannot print it. */
  readonly funcSignature?: (typeId: number) => string;
  /** `line_info`. */
  readonly lineInfo?: readonly XlatedLineInfo[];
  /** `btf__name_by_offset()` in the program's BTF; `undefined` for an offset outside it. */
  readonly btfString?: (offset: number) => string | undefined;
}

/** Options of {@link dumpXlatedPlain} and {@link dumpXlatedJson}: bpftool's keywords. */
export interface XlatedDumpOptions {
  /** `opcodes`: the raw bytes of each instruction. */
  readonly opcodes?: boolean;
  /** `linum`: file, line and column of each source line. */
  readonly linum?: boolean;
}

/** One element of bpftool's `-j prog dump xlated` array, fields in bpftool's order. */
export interface XlatedJsonInsn {
  readonly proto?: string;
  readonly src?: string;
  readonly file?: string;
  readonly line_num?: number;
  readonly line_col?: number;
  readonly disasm: string;
  readonly opcodes?: {
    readonly code: string;
    readonly src_reg: string;
    readonly dst_reg: string;
    readonly off: readonly string[];
    readonly imm: readonly string[];
  };
}

/**
 * The disassembler callbacks bpftool installs for xlated dumps: `print_call()` (kallsyms names
 * for helpers and kfuncs, `pc+N#bpf_prog_<tag>_<func>` for JITed subprogram calls) and
 * `print_imm()` (`map[id:N]`, `map[id:N][0]+off`, `subprog[+N]`, else `0x...`).
 */
export function xlatedCallbacks(ctx: XlatedDumpContext): DisasmCallbacks {
  const jited = ctx.jitedKsyms ?? [];
  const callBase = ctx.callBase ?? 0n;
  return {
    call(insn: Instruction): string {
      // unsigned long address = __bpf_call_base + imm, with imm sign-extended.
      let address = BigInt.asUintN(64, callBase + BigInt(insn.imm));
      const pseudo = insn.src === PseudoCall.CALL;
      if (pseudo && insn.imm >>> 0 < jited.length) address = jited[insn.imm >>> 0] as bigint;
      const sym = ctx.kernelSymbol?.(address);
      if (pseudo) {
        if (jited.length === 0) return signed(insn.off); // interpreted: no addresses
        return sym !== undefined ? `${signed(insn.off)}#${sym}` : `${signed(insn.off)}#0x${address.toString(16)}`;
      }
      return sym ?? `0x${address.toString(16)}`;
    },
    imm(insn: Instruction, fullImm: bigint): string {
      if (insn.src === PseudoLdImm64.MAP_FD) return `map[id:${insn.imm >>> 0}]`;
      if (insn.src === PseudoLdImm64.MAP_VALUE) return `map[id:${insn.imm >>> 0}][0]+${Number((insn.imm64 ?? 0n) >> 32n)}`;
      if (insn.src === PseudoLdImm64.FUNC) return `subprog[${signed(insn.imm)}]`;
      return `0x${fullImm.toString(16)}`;
    },
  };
}

function signed(n: number): string {
  return n >= 0 ? `+${n}` : String(n);
}

/** printf `% 4d`: a space for the sign, right-aligned in 4 columns. */
function slotLabel(i: number): string {
  return ` ${i}`.padStart(4, ' ');
}

function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Walks the instructions the way both bpftool dumpers do: func_info records are consumed when
 * their `insn_off` is reached, and `bpf_prog_linfo__lfind(i, nr_skip)` picks the line record,
 * with `nr_skip` advancing by one per printed record.
 */
function* walk(bytes: Uint8Array, endianness: Endianness, ctx: XlatedDumpContext): Generator<{
  insn: DecodedInstruction;
  proto: string | undefined;
  line: XlatedLineInfo | undefined;
}> {
  const insns = decodeInstructions(bytes, endianness, { strict: false });
  const funcInfo = ctx.funcSignature !== undefined ? (ctx.funcInfo ?? []) : [];
  const lines = ctx.lineInfo ?? [];
  let record = 0;
  let nrSkip = 0;
  for (const insn of insns) {
    const i = insn.slot;
    let proto: string | undefined;
    const rec = funcInfo[record];
    if (rec !== undefined && rec.insnOff === i) {
      proto = ctx.funcSignature?.(rec.typeId);
      record++;
    }
    let line: XlatedLineInfo | undefined;
    if (nrSkip < lines.length && i >= (lines[nrSkip] as XlatedLineInfo).insnOff) {
      let k = nrSkip;
      while (k < lines.length && i >= (lines[k] as XlatedLineInfo).insnOff) k++;
      line = lines[k - 1];
      nrSkip++;
    }
    yield { insn, proto, line };
  }
}

/**
 * bpftool's plain `prog dump xlated` text (`dump_xlated_plain()`): function signatures from
 * func_info, `; source` lines from line_info (with `[file:... line_num:... line_col:...]` for
 * `linum`), `% 4d: ` slot numbers, the kernel's disassembly, and with `opcodes` the raw bytes.
 *
 * @example
 * ```ts
 * const info = getProgInfo(fd, { xlatedInsns: true });
 * process.stdout.write(dumpXlatedPlain(info.xlatedInsns!, 'little', {}, {}));
 * ```
 */
export function dumpXlatedPlain(bytes: Uint8Array, endianness: Endianness, ctx: XlatedDumpContext, options: XlatedDumpOptions = {}): string {
  const callbacks = xlatedCallbacks(ctx);
  let out = '';
  for (const { insn, proto, line } of walk(bytes, endianness, ctx)) {
    if (proto !== undefined && proto !== '') out += `${proto}:\n`;
    if (line !== undefined) {
      const text = ctx.btfString?.(line.lineOff);
      if (text !== undefined) {
        const src = text.replace(/^[ \t\n\v\f\r]+/, '');
        if (options.linum) {
          const file = ctx.btfString?.(line.fileNameOff) ?? '';
          out += `; ${src} [file:${file} line_num:${line.line} line_col:${line.column}]\n`;
        } else {
          out += `; ${src}\n`;
        }
      }
    }
    out += `${slotLabel(insn.slot)}: ${formatInstruction(insn, { callbacks })}\n`;
    if (options.opcodes) {
      const at = insn.slot * INSN_SIZE;
      out += `       ${hexBytes(bytes.subarray(at, at + INSN_SIZE))}`;
      if (isLdImm64(insn)) out += ` ${hexBytes(bytes.subarray(at + INSN_SIZE, at + 2 * INSN_SIZE))}`;
      out += '\n';
    }
  }
  return out;
}

function hexByte(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/** bpftool's JSON `opcodes` object: `%02hhx` code, unpadded `%hhx` registers, raw off/imm bytes. */
function rawOpcodes(bytes: Uint8Array, insn: DecodedInstruction): NonNullable<XlatedJsonInsn['opcodes']> {
  const at = insn.slot * INSN_SIZE;
  const raw = bytes.subarray(at, at + (isLdImm64(insn) ? 2 : 1) * INSN_SIZE);
  return {
    code: hexByte(insn.opcode),
    src_reg: `0x${insn.src.toString(16)}`,
    dst_reg: `0x${insn.dst.toString(16)}`,
    off: Array.from(raw.subarray(2, 4), hexByte),
    imm: Array.from(raw.subarray(4, isLdImm64(insn) ? 16 : 8), hexByte),
  };
}

/**
 * bpftool's `-j prog dump xlated` array (`dump_xlated_json()`): per instruction `proto`, `src`,
 * `file`/`line_num`/`line_col` (with `linum`, numbers only when non-zero), `disasm`, and
 * `opcodes` with the bytes as `"0x.."` strings (`imm` spans 12 bytes for ldimm64).
 */
export function dumpXlatedJson(bytes: Uint8Array, endianness: Endianness, ctx: XlatedDumpContext, options: XlatedDumpOptions = {}): XlatedJsonInsn[] {
  const callbacks = xlatedCallbacks(ctx);
  const out: XlatedJsonInsn[] = [];
  for (const { insn, proto, line } of walk(bytes, endianness, ctx)) {
    let src: string | undefined;
    let file: string | undefined;
    let lineNum = 0;
    let lineCol = 0;
    if (line !== undefined) {
      const text = ctx.btfString?.(line.lineOff);
      if (text !== undefined) src = text.replace(/^[ \t\n\v\f\r]+/, '');
      if (options.linum) {
        file = ctx.btfString?.(line.fileNameOff);
        lineNum = line.line;
        lineCol = line.column;
      }
    }
    // Keys in bpftool's output order.
    const item = {
      ...(proto !== undefined && proto !== '' ? { proto } : {}),
      ...(src !== undefined ? { src } : {}),
      ...(file !== undefined ? { file } : {}),
      ...(lineNum !== 0 ? { line_num: lineNum } : {}),
      ...(lineCol !== 0 ? { line_col: lineCol } : {}),
      disasm: formatInstruction(insn, { callbacks }),
      ...(options.opcodes ? { opcodes: rawOpcodes(bytes, insn) } : {}),
    };
    out.push(item);
  }
  return out;
}
