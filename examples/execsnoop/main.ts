/**
 * execsnoop: traces exec() system calls with their arguments, like bcc's execsnoop.
 *
 *   node dist/examples/execsnoop/main.js [-T] [-t] [-x] [-q] [-U] [-u UID] [-n NAME] [-l LINE] [--max-args N]
 */
import { attachObject, loadObject, loadObjectSpec, RingBufferReader } from '../../src/index.js';
import { parseToolArgs, UsageError } from '../shared/command-line.js';
import { exampleObject, runTool } from '../shared/run-tool.js';
import { timeOfDay } from '../shared/time-of-day.js';

const USAGE = `Usage: execsnoop [-h] [-T] [-t] [-x] [-q] [-U] [-u UID] [-n NAME] [-l LINE] [--max-args MAX_ARGS]

Trace exec() syscalls.

  -T, --time          include a time column (HH:MM:SS)
  -t, --timestamp     include a timestamp column (seconds since start)
  -x, --fails         include failed exec()s
  -q, --quote         add "quotemarks" around arguments
  -U, --print-uid     print a UID column
  -u, --uid UID       trace this UID only
  -n, --name NAME     only print commands whose name matches this regular expression
  -l, --line LINE     only print commands whose arguments match this regular expression
  --max-args N        maximum number of arguments shown (1..60, default 20)
  -h, --help          show this help

Examples:
  execsnoop           # trace all exec() syscalls
  execsnoop -x        # include failed exec()s
  execsnoop -T        # include time (HH:MM:SS)
  execsnoop -u 1000   # only trace UID 1000
  execsnoop -n main   # only print command lines containing "main"`;

/** Arguments the BPF side can keep (TOTAL_MAX_ARGS in execsnoop.bpf.c). */
const TOTAL_MAX_ARGS = 60;

/**
 * Offsets in `struct event` of execsnoop.bpf.c. Records are cut after the used part of `args`,
 * so they are read field by field rather than through a fixed-size BTF codec.
 */
const Event = { pid: 0, ppid: 4, uid: 8, retval: 12, argsCount: 16, argsSize: 20, comm: 24, args: 40 } as const;

interface Options {
  time: boolean;
  timestamp: boolean;
  fails: boolean;
  quote: boolean;
  printUid: boolean;
  uid: number | undefined;
  name: RegExp | undefined;
  line: RegExp | undefined;
  maxArgs: number;
}

function integer(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`invalid ${what}: ${text} (want ${min}..${max})`);
  return n;
}

function regex(text: string | undefined, what: string): RegExp | undefined {
  if (text === undefined) return undefined;
  try {
    return new RegExp(text);
  } catch (e) {
    throw new UsageError(`invalid ${what} pattern: ${(e as Error).message}`);
  }
}

function parseOptions(): Options {
  const { values } = parseToolArgs(USAGE, {
    options: {
      time: { type: 'boolean', short: 'T', default: false },
      timestamp: { type: 'boolean', short: 't', default: false },
      fails: { type: 'boolean', short: 'x', default: false },
      quote: { type: 'boolean', short: 'q', default: false },
      'print-uid': { type: 'boolean', short: 'U', default: false },
      uid: { type: 'string', short: 'u' },
      name: { type: 'string', short: 'n' },
      line: { type: 'string', short: 'l' },
      'max-args': { type: 'string', default: '20' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  return {
    time: values.time,
    timestamp: values.timestamp,
    fails: values.fails,
    quote: values.quote,
    printUid: values['print-uid'],
    uid: values.uid === undefined ? undefined : integer(values.uid, 'UID', 0, 0xfffffffe),
    name: regex(values.name, 'name'),
    line: regex(values.line, 'line'),
    maxArgs: integer(values['max-args'], 'MAX_ARGS', 1, TOTAL_MAX_ARGS),
  };
}

const utf8 = new TextDecoder();

/** The NUL-terminated string at `bytes[0..]`, at most `bytes.length` long. */
function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return utf8.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** The filename and argv[1..] of a record; `...` when the BPF side left some out. */
function argumentsOf(view: DataView, offset: number): string[] {
  const count = view.getInt32(offset + Event.argsCount, true);
  const size = view.getUint32(offset + Event.argsSize, true);
  const bytes = new Uint8Array(view.buffer, view.byteOffset + offset + Event.args, size);
  const args: string[] = [];
  let start = 0;
  for (let i = 0; i < size && args.length < count; i++) {
    if (bytes[i] !== 0) continue;
    args.push(utf8.decode(bytes.subarray(start, i)));
    start = i + 1;
  }
  if (count > args.length) args.push('...');
  return args;
}

runTool('execsnoop', USAGE, async (stop) => {
  const options = parseOptions();
  const spec = await loadObjectSpec(exampleObject('execsnoop'));
  spec.variables.get('ignore_failed')!.set(!options.fails);
  if (options.uid !== undefined) spec.variables.get('targ_uid')!.set(options.uid);
  spec.variables.get('max_args')!.set(options.maxArgs);
  using obj = await loadObject(spec);
  using _links = attachObject(obj);
  using reader = RingBufferReader.open(obj.map('events')!);

  const started = performance.now();
  let header = '';
  if (options.time) header += 'TIME'.padEnd(9);
  if (options.timestamp) header += 'TIME(s)'.padEnd(8);
  if (options.printUid) header += 'UID'.padEnd(6);
  console.log(`${header}${'PCOMM'.padEnd(16)} ${'PID'.padEnd(7)} ${'PPID'.padEnd(7)} RET ARGS`);

  const onRecord = (view: DataView, offset: number): void => {
    const comm = cString(new Uint8Array(view.buffer, view.byteOffset + offset + Event.comm, 16));
    if (options.name !== undefined && !options.name.test(comm)) return;
    let args = argumentsOf(view, offset);
    if (options.line !== undefined && !options.line.test(args.join(' '))) return;
    if (options.quote) args = args.map((a) => `"${a.replace(/"/g, '\\"')}"`);
    const pid = view.getInt32(offset + Event.pid, true);
    const ppid = view.getInt32(offset + Event.ppid, true);
    let line = '';
    if (options.time) line += timeOfDay().padEnd(9);
    if (options.timestamp) line += ((performance.now() - started) / 1000).toFixed(3).padEnd(8);
    if (options.printUid) line += String(view.getUint32(offset + Event.uid, true)).padEnd(6);
    const retval = String(view.getInt32(offset + Event.retval, true)).padStart(3);
    line += `${comm.padEnd(16)} ${String(pid).padEnd(7)} ${(ppid > 0 ? String(ppid) : '?').padEnd(7)} ${retval} ${args.join(' ').replace(/\n/g, '\\n')}`;
    console.log(line);
  };
  await reader.run(onRecord, { signal: stop.signal });
});
