/**
 * `perf { show | list }`: the processes holding BPF programs attached through perf events
 * (tracepoints, kprobes, uprobes) or raw tracepoints, as bpftool's `perf.c`: every fd of every
 * process in /proc asked with `BPF_TASK_FD_QUERY`.
 */
import { closeSync, openSync, readdirSync } from 'node:fs';
import { SysError } from '../sys/errors.js';
import { strerror } from '../sys/strerror.js';
import { taskFdQuery, TaskFdType, type TaskFdInfo } from '../sys/task-fd-query.js';
import { CliError, type CliContext } from './context.js';
import { isKeyword } from './grammar.js';
import { JsonWriter } from './json-writer.js';

const HELP = `Usage: bpf-ts perf { show | list }
       bpf-ts perf help

       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }
`;

/** `ENOTSUPP`: the answer for an fd without a BPF program, which proves the query works. */
const ENOTSUPP = 524;

/** bpftool's `has_perf_query_support`: asks about an fd that has no program ("/"). */
function checkQuerySupport(): void {
  const fd = openSync('/', 'r');
  try {
    taskFdQuery(process.pid, fd);
  } catch (e) {
    if (e instanceof SysError && e.errno === ENOTSUPP) return;
    const errno = e instanceof SysError ? e.errno : 0;
    throw new CliError(`perf_query_support: ${strerror(errno)}\nHINT: non root or kernel doesn't support TASK_FD_QUERY`, 255, { cause: e });
  } finally {
    closeSync(fd);
  }
  throw new CliError('perf_query_support: BPF_TASK_FD_QUERY answered for an fd without a program');
}

function numericNames(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
}

function plainLine(pid: number, fd: number, q: TaskFdInfo): string {
  const head = `pid ${pid}  fd ${fd}: prog_id ${q.progId}  `;
  switch (q.fdType) {
    case TaskFdType.RAW_TRACEPOINT:
      return `${head}raw_tracepoint  ${q.name}\n`;
    case TaskFdType.TRACEPOINT:
      return `${head}tracepoint  ${q.name}\n`;
    case TaskFdType.KPROBE:
    case TaskFdType.KRETPROBE: {
      const kind = q.fdType === TaskFdType.KPROBE ? 'kprobe' : 'kretprobe';
      return q.name !== '' ? `${head}${kind}  func ${q.name}  offset ${q.probeOffset}\n` : `${head}${kind}  addr ${q.probeAddr}\n`;
    }
    case TaskFdType.UPROBE:
      return `${head}uprobe  filename ${q.name}  offset ${q.probeOffset}\n`;
    case TaskFdType.URETPROBE:
      return `${head}uretprobe  filename ${q.name}  offset ${q.probeOffset}\n`;
    default:
      // bpftool prints the head without a newline for a type it does not know; we end the line.
      return `${head}\n`;
  }
}

function jsonEntry(w: JsonWriter, pid: number, fd: number, q: TaskFdInfo): void {
  w.startObject().uintField('pid', pid).uintField('fd', fd).uintField('prog_id', q.progId);
  switch (q.fdType) {
    case TaskFdType.RAW_TRACEPOINT:
    case TaskFdType.TRACEPOINT:
      w.stringField('fd_type', q.fdType === TaskFdType.TRACEPOINT ? 'tracepoint' : 'raw_tracepoint').stringField('tracepoint', q.name);
      break;
    case TaskFdType.KPROBE:
    case TaskFdType.KRETPROBE:
      w.stringField('fd_type', q.fdType === TaskFdType.KPROBE ? 'kprobe' : 'kretprobe');
      if (q.name !== '') w.stringField('func', q.name).uintField('offset', q.probeOffset);
      else w.uintField('addr', q.probeAddr);
      break;
    case TaskFdType.UPROBE:
    case TaskFdType.URETPROBE:
      w.stringField('fd_type', q.fdType === TaskFdType.UPROBE ? 'uprobe' : 'uretprobe').stringField('filename', q.name).uintField('offset', q.probeOffset);
      break;
    default:
      break;
  }
  w.endObject();
}

/**
 * `perf show`.
 *
 * @example
 * ```ts
 * await perfShow([], ctx); // pid 1234  fd 9: prog_id 42  tracepoint  sys_enter_getppid
 * ```
 */
export async function perfShow(_args: readonly string[], ctx: CliContext): Promise<number> {
  checkQuerySupport();
  const json = ctx.json ? new JsonWriter(ctx.pretty).startArray() : undefined;
  let text = '';
  for (const pidName of numericNames('/proc')) {
    const pid = Number(pidName);
    for (const fdName of numericNames(`/proc/${pidName}/fd`)) {
      const fd = Number(fdName);
      let q: TaskFdInfo;
      try {
        q = taskFdQuery(pid, fd);
      } catch {
        continue;
      }
      if (json !== undefined) jsonEntry(json, pid, fd, q);
      else text += plainLine(pid, fd, q);
    }
  }
  ctx.out(json !== undefined ? json.endArray().finish() : text);
  return 0;
}

/** `bpf-ts perf ...`. */
export async function runPerf(args: readonly string[], ctx: CliContext): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === undefined || isKeyword(verb, 'show') || isKeyword(verb, 'list')) return perfShow(rest, ctx);
  if (isKeyword(verb, 'help')) {
    ctx.out(HELP);
    return 0;
  }
  throw new CliError(`unknown command '${verb}' for 'perf', see 'bpf-ts perf help'`);
}
