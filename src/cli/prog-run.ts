/**
 * `prog run PROG data_in FILE [data_out FILE [data_size_out L]] [ctx_in FILE [ctx_out FILE
 * [ctx_size_out M]]] [repeat N]`: `BPF_PROG_TEST_RUN` as bpftool's `do_run`. `-` reads the input
 * from stdin or prints the output (a hex dump, or a JSON array of byte values under -j); output
 * buffers default to 32 KiB; the last line is `Return value: R, duration[ (average)]: Dns`.
 *
 * One deliberate difference: syscall programs run (their context is copied back in place and
 * printed as ctx_out); bpftool always passes `repeat` and an output buffer, which the kernel
 * refuses for them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { BpfProgram, type TestRunOptions } from '../loader/program.js';
import { SysError } from '../sys/errors.js';
import type { OwnedFd } from '../sys/fd.js';
import { getProgInfo } from '../sys/info.js';
import { strerror } from '../sys/strerror.js';
import { ProgType } from '../sys/uapi.js';
import { CliError, type CliContext } from './context.js';
import { isKeyword } from './grammar.js';
import { JsonWriter } from './json-writer.js';
import { parseCUnsigned, parseProgHandle } from './object-handle.js';

/** bpftool's `SZ_32K`: the output buffers when no size is given. */
const DEFAULT_OUT_SIZE = 32 * 1024;

/** What the command line asked for. */
interface RunArgs {
  dataIn?: string;
  dataOut?: string;
  dataSizeOut?: number;
  ctxIn?: string;
  ctxOut?: string;
  ctxSizeOut?: number;
  repeat: number;
}

/** bpftool's `detect_common_prefix`: a word that is a prefix of two keywords is refused. */
function rejectAmbiguous(word: string, keywords: readonly string[]): void {
  const matches = keywords.filter((k) => isKeyword(word, k));
  if (matches.length >= 2) throw new CliError(`ambiguous prefix: '${word}' could be '${matches.join("' or '")}'`);
}

function errnoOf(e: unknown): number {
  const code = (e as NodeJS.ErrnoException).code;
  const table: Record<string, number> = { ENOENT: 2, EACCES: 13, EISDIR: 21, ENOTDIR: 20, EPERM: 1, ENOSPC: 28 };
  return (code !== undefined ? table[code] : undefined) ?? 5;
}

function parseArgs(args: readonly string[]): RunArgs {
  const a: RunArgs = { repeat: 1 };
  const value = (i: number): string => {
    const w = args[i];
    if (w === undefined) throw new CliError(`'${args[i - 1] ?? ''}' needs at least 1 arguments, 0 found`);
    return w;
  };
  const size = (i: number, what: string): number => {
    const w = value(i);
    const n = parseCUnsigned(w);
    if (n === undefined) throw new CliError(`can't parse ${w} as ${what}`);
    return n;
  };
  const checkStdin = (): void => {
    if (a.dataIn === '-' && a.ctxIn === '-') throw new CliError('cannot use standard input for both data_in and ctx_in');
  };
  for (let i = 0; i < args.length; i += 2) {
    const word = args[i] as string;
    rejectAmbiguous(word, ['data_in', 'data_out', 'data_size_out']);
    rejectAmbiguous(word, ['ctx_in', 'ctx_out', 'ctx_size_out']);
    if (isKeyword(word, 'data_in')) {
      a.dataIn = value(i + 1);
      checkStdin();
    } else if (isKeyword(word, 'data_out')) a.dataOut = value(i + 1);
    else if (isKeyword(word, 'data_size_out')) a.dataSizeOut = size(i + 1, 'output data size');
    else if (isKeyword(word, 'ctx_in')) {
      a.ctxIn = value(i + 1);
      checkStdin();
    } else if (isKeyword(word, 'ctx_out')) a.ctxOut = value(i + 1);
    else if (isKeyword(word, 'ctx_size_out')) a.ctxSizeOut = size(i + 1, 'output context size');
    else if (isKeyword(word, 'repeat')) a.repeat = size(i + 1, 'repeat number');
    else {
      throw new CliError(
        `expected no more arguments, 'data_in', 'data_out', 'data_size_out', 'ctx_in', 'ctx_out', 'ctx_size_out' or 'repeat', got: '${word}'?`,
      );
    }
  }
  return a;
}

function readInput(file: string | undefined): Uint8Array | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file === '-' ? 0 : file);
  } catch (e) {
    throw new CliError(`failed to open ${file}: ${strerror(errnoOf(e))}`, 255, { cause: e });
  }
}

/**
 * bpftool's `hex_print`: `%07zx` offset, a tab, 16 bytes in pairs, `| ` and the printable ASCII
 * (with a space after the 8th).
 *
 * @example
 * ```ts
 * hexDump(new TextEncoder().encode('hi'));
 * // '0000000\t6869                                    | hi\n'
 * ```
 */
export function hexDump(data: Uint8Array): string {
  let out = '';
  for (let i = 0; i < data.length; i += 16) {
    out += `${i.toString(16).padStart(7, '0')}\t`;
    let j = i;
    for (; j < i + 16 && j < data.length; j++) out += `${(data[j] as number).toString(16).padStart(2, '0')}${j % 2 ? ' ' : ''}`;
    for (; j < i + 16; j++) out += `  ${j % 2 ? ' ' : ''}`;
    out += '| ';
    for (j = i; j < i + 16 && j < data.length; j++) {
      const c = data[j] as number;
      out += `${c < 0x20 || c > 0x7e ? '.' : String.fromCharCode(c)}${j === i + 7 ? ' ' : ''}`;
    }
    out += '\n';
  }
  return out;
}

/** bpftool's `print_run_output`: to a file, or to stdout (`-`). False when writing failed. */
function printOutput(data: Uint8Array, file: string | undefined, key: string, ctx: CliContext, json: JsonWriter | undefined): boolean {
  if (file === undefined) return true;
  if (file === '-') {
    if (json !== undefined) json.uintArrayField(key, data);
    else ctx.out(hexDump(data));
    return true;
  }
  try {
    writeFileSync(file, data);
  } catch (e) {
    ctx.err(`Error: failed to open ${file}: ${strerror(errnoOf(e))}\n`);
    return false;
  }
  return true;
}

/**
 * `prog run`.
 *
 * @example
 * ```ts
 * await progRun(['pinned', '/sys/fs/bpf/xdp', 'data_in', 'pkt.bin', 'data_out', '-', 'repeat', '100'], ctx);
 * ```
 */
export async function progRun(args: readonly string[], ctx: CliContext): Promise<number> {
  if (args.length < 4) throw new CliError(`'run' needs at least 4 arguments, ${args.length} found`);
  const fds = parseProgHandle(args);
  if (fds.length !== 1) {
    for (const f of fds) f.close();
    if (fds.length > 1) throw new CliError('several programs match this handle');
    return 255;
  }
  const fd = fds[0] as OwnedFd;
  let program: BpfProgram | undefined;
  try {
    const a = parseArgs(args.slice(2));
    const data = readInput(a.dataIn);
    const ctxIn = readInput(a.ctxIn);
    const info = getProgInfo(fd);
    program = new BpfProgram(fd, { name: info.name, section: '', type: info.type, expectedAttachType: 0, attachBtfId: 0, log: '' });
    const syscall = info.type === ProgType.SYSCALL;
    const options: TestRunOptions = {
      ...(data === undefined ? {} : { data, dataOutSize: a.dataSizeOut || DEFAULT_OUT_SIZE }),
      ...(ctxIn === undefined ? {} : { ctx: ctxIn, ctxOutSize: a.ctxSizeOut || DEFAULT_OUT_SIZE }),
      // The kernel refuses `repeat` for syscall programs; they run once.
      ...(syscall ? {} : { repeat: a.repeat }),
    };
    let r;
    try {
      r = program.testRun(options);
    } catch (e) {
      // bpftool returns libbpf's -errno: the exit status is 256 - errno.
      if (e instanceof SysError) throw new CliError(`failed to run program: ${strerror(e.errno)}`, (256 - e.errno) & 0xff, { cause: e });
      throw e;
    }
    const json = ctx.json ? new JsonWriter(ctx.pretty).startObject() : undefined;
    // Printing errors do not stop the summary, as in bpftool; each counts -1 in the exit code.
    let failures = 0;
    if (r.data.length > 0 && !printOutput(r.data, a.dataOut, 'data_out', ctx, json)) failures++;
    if (r.ctx.length > 0 && !printOutput(r.ctx, a.ctxOut, 'ctx_out', ctx, json)) failures++;
    if (json !== undefined) {
      json.uintField('retval', r.retval).uintField('duration', r.duration).endObject();
      ctx.out(json.finish());
    } else {
      ctx.out(`Return value: ${r.retval}, duration${a.repeat > 1 ? ' (average)' : ''}: ${r.duration}ns\n`);
    }
    return failures === 0 ? 0 : (256 - failures) & 0xff;
  } finally {
    if (program !== undefined) program.close();
    else fd.close();
  }
}
