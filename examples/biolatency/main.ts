/**
 * biolatency: summarizes block device I/O latency as a histogram, like bcc's biolatency.
 *
 *   node dist/examples/biolatency/main.js [-T] [-Q] [-m] [-D] [interval [count]]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { attachObject, formatLog2Histogram, formatSectionHistograms, loadObject, loadObjectSpec, readSectionHistograms, type BpfMap } from '../../src/index.js';

const USAGE = `Usage: biolatency [-h] [-T] [-Q] [-m] [-D] [interval] [count]

Summarize block device I/O latency as a histogram.

positional arguments:
  interval            output interval, in seconds (default: only on Ctrl-C)
  count               number of outputs

  -T, --timestamp     include timestamp on output
  -Q, --queued        include OS queued time in I/O time
  -m, --milliseconds  millisecond histogram
  -D, --disks         print a histogram per disk device
  -h, --help          show this help

examples:
  biolatency          # summarize block I/O latency as a histogram
  biolatency 1 10     # print 1 second summaries, 10 times
  biolatency -mT 1    # 1s summaries, milliseconds, and timestamps
  biolatency -Q       # include OS queued time in I/O time
  biolatency -D       # show each disk device separately`;

const OBJECT = fileURLToPath(new URL('../../../examples/biolatency/biolatency.bpf.o', import.meta.url));

/** Longest timer Node accepts (ms). */
const MAX_TIMER = 2 ** 31 - 1;

class UsageError extends Error {}

interface Options {
  timestamp: boolean;
  queued: boolean;
  milliseconds: boolean;
  disks: boolean;
  /** Seconds between outputs; undefined: one output, on Ctrl-C. */
  interval: number | undefined;
  count: number;
}

function positive(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n <= 0) throw new UsageError(`invalid ${what}: ${text}`);
  return n;
}

/** An interval a Node timer can wait (at most 2^31 - 1 ms). */
function seconds(text: string): number {
  const n = positive(text, 'interval');
  if (n * 1000 > MAX_TIMER) throw new UsageError(`invalid interval: ${text} (at most ${Math.floor(MAX_TIMER / 1000)} seconds)`);
  return n;
}

function parseOptions(): Options | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        timestamp: { type: 'boolean', short: 'T', default: false },
        queued: { type: 'boolean', short: 'Q', default: false },
        milliseconds: { type: 'boolean', short: 'm', default: false },
        disks: { type: 'boolean', short: 'D', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  if (positionals.length > 2) throw new UsageError(`unexpected argument: ${positionals[2]}`);
  const [interval, count] = positionals;
  return {
    timestamp: values.timestamp,
    queued: values.queued,
    milliseconds: values.milliseconds,
    disks: values.disks,
    interval: interval === undefined ? undefined : seconds(interval),
    count: count === undefined ? Infinity : positive(count, 'count'),
  };
}

/**
 * Resolves false after `seconds` (forever when undefined), true as soon as `signal` aborts. The
 * pending timer is also what keeps the process alive meanwhile: nothing else is waiting.
 */
async function interrupted(seconds: number | undefined, signal: AbortSignal): Promise<boolean> {
  try {
    if (seconds === undefined) for (;;) await sleep(MAX_TIMER, undefined, { signal });
    await sleep(seconds * 1000, undefined, { signal });
    return false;
  } catch {
    return true;
  }
}

/** The histogram(s) of `dist` as bcc's `print_log2_hist` prints them, then empties the map (bcc's `dist.clear()`). */
function printAndClear(dist: BpfMap, options: Options): void {
  const label = options.milliseconds ? 'msecs' : 'usecs';
  const sections = readSectionHistograms<string>(dist, { sectionField: 'disk' });
  if (options.disks) {
    process.stdout.write(formatSectionHistograms(sections, { sectionHeader: 'disk', valType: label }));
  } else {
    // Without -D every bucket has the empty disk name: a single histogram.
    process.stdout.write(formatLog2Histogram(sections[0]?.counts ?? [], { valType: label }));
  }
  for (const key of [...dist.keys()]) dist.delete(key);
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options === undefined) return;
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

  const spec = await loadObjectSpec(OBJECT);
  spec.variables.get('targ_ms')!.set(options.milliseconds);
  spec.variables.get('targ_per_disk')!.set(options.disks);
  spec.variables.get('targ_queued')!.set(options.queued);
  // Insertions into the OS queue only matter with -Q: do not even load that program otherwise.
  spec.program('block_rq_insert')!.autoload = options.queued;
  using obj = await loadObject(spec);
  using _links = attachObject(obj);
  const dist = obj.map('dist')!;

  console.log('Tracing block device I/O... Hit Ctrl-C to end.');
  for (let remaining = options.count; ; ) {
    const exiting = await interrupted(options.interval, stop.signal);
    console.log();
    if (options.timestamp) console.log(new Date().toTimeString().slice(0, 8));
    printAndClear(dist, options);
    remaining--;
    if (exiting || remaining === 0) break;
  }
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`biolatency: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(`biolatency: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
