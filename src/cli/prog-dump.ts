import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { dumpXlatedJson, dumpXlatedPlain, type XlatedDumpContext, type XlatedJsonInsn } from '../asm/xlated.js';
import { parseBtf, type Btf } from '../btf/btf.js';
import type { OwnedFd } from '../sys/fd.js';
import { btfGetFdById } from '../sys/ids.js';
import { getBtfInfo, getProgInfo, type ProgInfo } from '../sys/info.js';
import { strerror } from '../sys/strerror.js';
import { ProgTypeName } from '../sys/uapi.js';
import { CliError, type CliContext } from './context.js';
import { isKeyword } from './grammar.js';
import { JsonWriter } from './json-writer.js';
import { cliSysError, parseProgHandle } from './object-handle.js';
import { progFullName } from './prog-name.js';

/** bpftool's buffer for a function signature (`char func_sig[1024]`): longer ones print nothing. */
const FUNC_SIG_SIZE = 1024;

/** The kernel returns xlated instructions in the host's byte order. */
const HOST_ENDIANNESS = endianness() === 'LE' ? 'little' : 'big';

/** What follows `PROG` on the command line. */
interface DumpOptions {
  readonly file: string | undefined;
  readonly opcodes: boolean;
  readonly linum: boolean;
}

/**
 * Kernel symbols by exact address, as bpftool's `kernel_syms_load()` reads `/proc/kallsyms`.
 * With `kptr_restrict` hiding addresses (`__bpf_call_base` at 0) bpftool drops them all, and so
 * do we. A dump needs a handful of addresses out of ~100k symbols, so each is found by searching
 * the text rather than by indexing every line.
 */
class KernelSymbols {
  private text: string | undefined;
  private base: bigint | undefined;
  private readonly cache = new Map<bigint, string | undefined>();

  /** `/proc/kallsyms` with a leading newline, so every line starts after one; '' if unreadable. */
  private load(): string {
    if (this.text !== undefined) return this.text;
    let text = '';
    try {
      // The file reports size 0; large reads keep the kernel's per-read overhead down.
      const fd = openSync('/proc/kallsyms', 'r');
      try {
        const chunks: Buffer[] = [];
        const buf = Buffer.allocUnsafe(1 << 20);
        for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) chunks.push(Buffer.from(buf.subarray(0, n)));
        text = `\n${Buffer.concat(chunks).toString('latin1')}`;
      } finally {
        closeSync(fd);
      }
    } catch {
      text = '';
    }
    const m = / [a-zA-Z] __bpf_call_base\n/.exec(text);
    const at = m === null ? -1 : text.lastIndexOf('\n', m.index) + 1;
    this.base = m === null ? 0n : BigInt(`0x${text.slice(at, m.index)}`);
    if (this.base === 0n) text = ''; // kptr_restrict: addresses are all zero
    this.text = text;
    return text;
  }

  /** Address of `__bpf_call_base` (0 when unknown). */
  get callBase(): bigint {
    this.load();
    return this.base ?? 0n;
  }

  /** The first symbol at exactly `address` (bpftool's bsearch among equal keys is unspecified). */
  lookup(address: bigint): string | undefined {
    if (this.cache.has(address)) return this.cache.get(address);
    const text = this.load();
    let name: string | undefined;
    if (address !== 0n && text !== '') {
      const at = text.indexOf(`\n${address.toString(16).padStart(16, '0')} `);
      if (at >= 0) {
        const start = at + 20; // newline, 16 hex digits, space, type letter, space
        const end = text.slice(start, start + 512).search(/[\t\n]/);
        name = text.slice(start, end < 0 ? start + 512 : start + end);
      }
    }
    this.cache.set(address, name);
    return name;
  }
}

/**
 * bpftool's `btf_dumper_type_only()`: a C-like rendering of a FUNC type for the `proto` of
 * xlated dumps (`int sock_count(struct __sk_buff * skb)`). `''` for kinds it does not handle.
 */
function funcSignature(btf: Btf, typeId: number): string {
  let out = '';
  const put = (s: string): void => {
    out += s;
    if (out.length >= FUNC_SIG_SIZE) throw new RangeError('signature too long');
  };
  const func = (proto: number, name: string | undefined): void => {
    const p = btf.typeById(proto);
    if (p.kind !== 'FUNC_PROTO') throw new TypeError('not a FUNC_PROTO');
    type_(p.returnType);
    put(name === undefined ? '(' : `${name}(`);
    p.params.forEach((param, i) => {
      if (i > 0) put(', ');
      if (param.type !== 0) {
        type_(param.type);
        put(param.name);
      } else {
        put('...');
      }
    });
    put(')');
  };
  const type_ = (id: number): void => {
    if (id === 0) return put('void ');
    const t = btf.typeById(id);
    switch (t.kind) {
      case 'INT':
      case 'TYPEDEF':
        return put(`${t.name} `);
      case 'STRUCT':
        return put(`struct ${t.name} `);
      case 'UNION':
        return put(`union ${t.name} `);
      case 'ENUM':
        return put(`enum ${t.name} `);
      case 'ARRAY':
        type_(t.type);
        return put(`[${t.nelems | 0}]`);
      case 'PTR':
        type_(t.type);
        return put('* ');
      case 'FWD':
        return put(`${t.union ? 'union' : 'struct'} ${t.name} `);
      case 'VOLATILE':
        put('volatile ');
        return type_(t.type);
      case 'CONST':
        put('const ');
        return type_(t.type);
      case 'RESTRICT':
        put('restrict ');
        return type_(t.type);
      case 'FUNC_PROTO':
        return func(id, undefined);
      case 'FUNC':
        return func(t.type, t.name);
      default:
        throw new TypeError(`unsupported kind ${t.kind}`);
    }
  };
  try {
    type_(typeId);
    return out;
  } catch {
    return '';
  }
}

/** `btf__load_from_kernel_by_id()`: the program's BTF, parsed (standalone, as bpftool loads it). */
function loadProgramBtf(btfId: number): Btf {
  let fd: OwnedFd;
  try {
    fd = btfGetFdById(btfId);
  } catch (e) {
    throw new CliError('failed to get btf', 255, { cause: e });
  }
  try {
    const { data } = getBtfInfo(fd, { data: true });
    if (data === undefined) throw new CliError('failed to get btf');
    return parseBtf(data);
  } catch (e) {
    throw e instanceof CliError ? e : new CliError('failed to get btf', 255, { cause: e });
  } finally {
    fd.close();
  }
}

/** True when any slot is a `JMP | CALL` (the only instructions whose text uses kallsyms). */
function hasCallInstructions(bytes: Uint8Array): boolean {
  for (let at = 0; at < bytes.length; at += 8) if (bytes[at] === 0x85) return true;
  return false;
}

function dumpContext(info: ProgInfo, bytes: Uint8Array, symbols: KernelSymbols, btf: Btf | undefined): XlatedDumpContext {
  const hasCalls = hasCallInstructions(bytes);
  const ctx: { -readonly [K in keyof XlatedDumpContext]: XlatedDumpContext[K] } = {
    // kallsyms is read only for programs that call something.
    callBase: hasCalls ? symbols.callBase : 0n,
    jitedKsyms: info.jitedKsyms ?? [],
    lineInfo: info.lineInfo ?? [],
    kernelSymbol: (address) => symbols.lookup(address),
  };
  if (btf !== undefined) {
    ctx.funcInfo = info.funcInfo ?? [];
    ctx.funcSignature = (typeId) => funcSignature(btf, typeId);
    ctx.btfString = (offset) => (btf.strings.has(offset) ? btf.strings.get(offset) : undefined);
  }
  return ctx;
}

function parseDumpOptions(args: readonly string[], nbProgs: number): DumpOptions {
  let file: string | undefined;
  let opcodes = false;
  let linum = false;
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    if (isKeyword(word, 'file')) {
      const path = args[++i];
      if (path === undefined) throw new CliError('expected file path');
      if (nbProgs > 1) throw new CliError('several programs matched');
      file = path;
    } else if (isKeyword(word, 'opcodes')) {
      opcodes = true;
    } else if (isKeyword(word, 'linum')) {
      linum = true;
    } else if (isKeyword(word, 'visual')) {
      throw new CliError("'visual' (the control flow graph in DOT format) is not supported by bpf-ts");
    } else {
      throw new CliError(`unknown option '${word}' for 'prog dump xlated': expected 'file FILE', 'opcodes' or 'linum'`);
    }
  }
  if (file !== undefined && (opcodes || linum)) throw new CliError("'file' is not compatible with 'opcodes', 'visual', or 'linum'");
  return { file, opcodes, linum };
}

/** bpftool's `print_prog_header_plain()`, printed before each program when several match. */
function headerPlain(info: ProgInfo, fd: OwnedFd): string {
  const type = ProgTypeName.get(info.type);
  let s = `${info.id}: ${type !== undefined ? `${type}  ` : `type ${info.type}  `}`;
  if (info.name !== '') s += `name ${progFullName(info, fd)}  `;
  s += `tag ${info.tag}`;
  if (info.ifindex !== 0) s += `  offloaded_to ifindex ${info.ifindex} ns_dev ${info.netnsDev} ns_ino ${info.netnsIno}`;
  s += info.gplCompatible ? '  gpl' : '';
  if (info.runTimeNs !== 0n) s += ` run_time_ns ${info.runTimeNs} run_cnt ${info.runCnt}`;
  if (info.recursionMisses !== 0n) s += ` recursion_misses ${info.recursionMisses}`;
  return `${s}\n`;
}

/** bpftool's `print_prog_header_json()`. */
function headerJson(w: JsonWriter, info: ProgInfo, fd: OwnedFd): void {
  w.uintField('id', info.id);
  const type = ProgTypeName.get(info.type);
  if (type !== undefined) w.stringField('type', type);
  else w.uintField('type', info.type);
  if (info.name !== '') w.stringField('name', progFullName(info, fd));
  w.stringField('tag', info.tag).boolField('gpl_compatible', info.gplCompatible);
  if (info.runTimeNs !== 0n) w.uintField('run_time_ns', info.runTimeNs).uintField('run_cnt', info.runCnt);
  if (info.recursionMisses !== 0n) w.uintField('recursion_misses', info.recursionMisses);
}

function writeInsnsJson(w: JsonWriter, insns: readonly XlatedJsonInsn[]): void {
  w.startArray();
  for (const insn of insns) {
    w.startObject();
    if (insn.proto !== undefined) w.stringField('proto', insn.proto);
    if (insn.src !== undefined) w.stringField('src', insn.src);
    if (insn.file !== undefined) w.stringField('file', insn.file);
    if (insn.line_num !== undefined) w.uintField('line_num', insn.line_num);
    if (insn.line_col !== undefined) w.uintField('line_col', insn.line_col);
    w.stringField('disasm', insn.disasm);
    if (insn.opcodes !== undefined) {
      const o = insn.opcodes;
      w.name('opcodes').startObject().stringField('code', o.code).stringField('src_reg', o.src_reg).stringField('dst_reg', o.dst_reg);
      w.stringArrayField('off', o.off).stringArrayField('imm', o.imm).endObject();
    }
    w.endObject();
  }
  w.endArray();
}

/** The instructions and what the dumper needs, for one program (`prog_dump()` up to the printing). */
function fetchProgram(fd: OwnedFd): { info: ProgInfo; bytes: Uint8Array } {
  let info: ProgInfo;
  try {
    info = getProgInfo(fd, { xlatedInsns: true, jitedKsyms: true, funcInfo: true, lineInfo: true });
  } catch (e) {
    throw cliSysError(e, "can't get prog info");
  }
  const bytes = info.xlatedInsns;
  // Without CAP_BPF/CAP_SYS_ADMIN the kernel reports no instructions (bpftool's wording).
  if (info.xlatedProgLen === 0 || bytes === undefined || bytes.length === 0) throw new CliError('error retrieving insn dump: kernel.kptr_restrict set?');
  return { info, bytes };
}

/**
 * `bpf-ts prog dump xlated PROG [{ file FILE | [opcodes] [linum] }]`: bpftool's xlated dump —
 * the program as the verifier left it, in the kernel's disassembly syntax, with function
 * signatures and source lines from the program's BTF, helper and subprogram names from kallsyms,
 * and map ids. `-j` gives bpftool's JSON array. `opcodes` and `linum` may be combined (bpftool
 * 7.1 takes only one of them; newer bpftool takes both).
 *
 * Not supported: `dump jited` (needs a machine-code disassembler) and `visual` (DOT output).
 *
 * @example
 * ```ts
 * await progDump(['xlated', 'id', '42', 'linum'], ctx);
 * ```
 */
export async function progDump(args: readonly string[], ctx: CliContext): Promise<number> {
  const [mode, ...rest] = args;
  if (isKeyword(mode, 'jited')) throw new CliError("'dump jited' is not supported by bpf-ts (it needs a machine-code disassembler); use 'dump xlated'");
  if (!isKeyword(mode, 'xlated')) throw new CliError(`expected 'xlated' or 'jited', got: ${mode ?? ''}`);
  if (rest.length < 2) throw new CliError("expected PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME } after 'dump xlated'");
  const fds = parseProgHandle(rest);
  try {
    if (fds.length === 0) {
      // bpftool says nothing when no program has the tag or name.
      if (ctx.json) ctx.out('\n');
      return 255;
    }
    const options = parseDumpOptions(rest.slice(2), fds.length);
    const symbols = new KernelSymbols();
    const several = fds.length > 1;
    const w = ctx.json ? new JsonWriter(ctx.pretty) : undefined;
    let text = '';
    if (w && several) w.startArray();
    for (const [i, fd] of fds.entries()) {
      const { info, bytes } = fetchProgram(fd);
      const btf = info.btfId !== 0 ? loadProgramBtf(info.btfId) : undefined;
      if (w && several) {
        w.startObject();
        headerJson(w, info, fd);
        w.name('insns');
      } else if (several) {
        text += headerPlain(info, fd);
      }
      if (options.file !== undefined) {
        try {
          writeFileSync(options.file, bytes, { mode: 0o600 });
        } catch (e) {
          const errno = (e as NodeJS.ErrnoException).errno;
          throw new CliError(`can't open file ${options.file}: ${errno !== undefined ? strerror(-errno) : String(e)}`, 255, { cause: e });
        }
        if (w) w.null();
      } else if (w) {
        writeInsnsJson(w, dumpXlatedJson(bytes, HOST_ENDIANNESS, dumpContext(info, bytes, symbols, btf), options));
      } else {
        text += dumpXlatedPlain(bytes, HOST_ENDIANNESS, dumpContext(info, bytes, symbols, btf), options);
      }
      if (w && several) w.endObject();
      else if (several && i !== fds.length - 1) text += '\n';
    }
    if (w && several) w.endArray();
    ctx.out(w ? w.finish() : text);
    return 0;
  } finally {
    for (const fd of fds) fd.close();
  }
}
