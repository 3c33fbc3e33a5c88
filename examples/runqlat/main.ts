/**
 * runqlat: run queue (scheduler) latency as a log2 histogram, like bcc's runqlat: how long
 * tasks wait on a run queue between becoming runnable and running. Prints every `interval`
 * seconds (`count` times), and once more on Ctrl-C; `-P`/`-L` print one histogram per
 * process/thread.
 *
 *   node dist/examples/runqlat/main.js [-T] [-m] [-P | -L] [-p PID] [interval [count]]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  attachObject,
  formatLog2Histogram,
  formatSectionHistograms,
  loadObject,
  loadObjectSpec,
  readHistogram,
  readSectionHistograms,
} from '../../src/index.js';

const USAGE = `Usage: runqlat [-h] [-T] [-m] [-P | -L] [-p PID] [interval [count]]

Summarizes run queue (scheduler) latency as a histogram.

  -T, --timestamp      include a timestamp on output
  -m, --milliseconds   millisecond histogram
  -P, --pids           print a histogram per process ID
  -L, --tids           print a histogram per thread ID
  -p, --pid PID        trace this process only
  -h, --help           show this help

Examples:
  runqlat              # summarize until Ctrl-C
  runqlat 1 10         # print 1 second summaries, 10 times
  runqlat -mT 1        # 1s summaries, milliseconds, and timestamps
  runqlat -P           # show each PID separately`;

const OBJECT = fileURLToPath(new URL('../../../examples/runqlat/runqlat.bpf.o', import.meta.url));

class UsageError extends Error {}

interface Options {
  timestamp: boolean;
  milliseconds: boolean;
  perProcess: boolean;
  perThread: boolean;
  pid: number | undefined;
  interval: number | undefined;
  count: number;
}

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`invalid ${name}: ${text}`);
  return n;
}

function parseOptions(): Options {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        timestamp: { type: 'boolean', short: 'T', default: false },
        milliseconds: { type: 'boolean', short: 'm', default: false },
        pids: { type: 'boolean', short: 'P', default: false },
        tids: { type: 'boolean', short: 'L', default: false },
        pid: { type: 'string', short: 'p' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.pids && values.tids) throw new UsageError('-P and -L cannot be used together');
  if (positionals.length > 2) throw new UsageError(`unrecognized positional argument: ${positionals[2]}`);
  return {
    timestamp: values.timestamp,
    milliseconds: values.milliseconds,
    perProcess: values.pids,
    perThread: values.tids,
    pid: positiveInt('PID', values.pid),
    interval: positiveInt('interval', positionals[0]),
    count: positiveInt('count', positionals[1]) ?? Infinity,
  };
}

/** Resolves after `seconds` (only on `signal` when undefined), or as soon as `signal` aborts. */
function sleep(seconds: number | undefined, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    // Without an interval a long repeating timer keeps the event loop alive until the signal.
    const timer = seconds === undefined ? setInterval(() => {}, 1 << 30) : setTimeout(resolve, seconds * 1000);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

async function main(): Promise<void> {
  const options = parseOptions();
  const stop = new AbortController();
  // Handlers stay installed: a second signal (`timeout` signals the child and its group) must not kill the cleanup.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stop.abort());
  const units = options.milliseconds ? 'msecs' : 'usecs';

  const spec = await loadObjectSpec(OBJECT);
  spec.variables.get('targ_per_process')!.set(options.perProcess);
  spec.variables.get('targ_per_thread')!.set(options.perThread);
  spec.variables.get('targ_ms')!.set(options.milliseconds);
  if (options.pid !== undefined) spec.variables.get('targ_tgid')!.set(options.pid);
  using obj = await loadObject(spec);
  using _links = attachObject(obj);

  /** The histogram(s) collected since the last call; the map is emptied as bcc's `dist.clear()`. */
  const histograms = (): string => {
    if (options.perProcess || options.perThread) {
      const map = obj.map('dist_by_id')!;
      const sections = readSectionHistograms<number>(map).sort((a, b) => a.key - b.key);
      map.clear();
      return formatSectionHistograms(sections, { sectionHeader: options.perProcess ? 'pid' : 'tid', valType: units });
    }
    const map = obj.map('dist')!;
    const counts = readHistogram(map);
    map.clear();
    return formatLog2Histogram(counts, { valType: units });
  };

  console.log('Tracing run queue latency... Hit Ctrl-C to end.');
  for (let i = 0; i < options.count; i++) {
    await sleep(options.interval, stop.signal);
    let out = '\n';
    if (options.timestamp) out += `${new Date().toTimeString().slice(0, 8)}\n`;
    process.stdout.write(out + histograms());
    if (stop.signal.aborted) break;
  }
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`runqlat: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(`runqlat: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
