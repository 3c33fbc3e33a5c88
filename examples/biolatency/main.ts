/**
 * biolatency: summarizes block device I/O latency as a histogram, like bcc's biolatency.
 *
 *   node dist/examples/biolatency/main.js [-T] [-Q] [-m] [-D] [interval [count]]
 */
import { attachObject, formatLog2Histogram, formatSectionHistograms, loadObject, loadObjectSpec, readSectionHistograms, type BpfMap } from '../../src/index.js';
import { parseToolArgs, positiveInt, UsageError } from '../shared/command-line.js';
import { exampleObject, runTool } from '../shared/run-tool.js';
import { timeOfDay } from '../shared/time-of-day.js';

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

interface Options {
  timestamp: boolean;
  queued: boolean;
  milliseconds: boolean;
  disks: boolean;
  /** Seconds between outputs; undefined: one output, on Ctrl-C. */
  interval: number | undefined;
  count: number;
}

function parseOptions(): Options {
  const { values, positionals } = parseToolArgs(USAGE, {
    allowPositionals: true,
    options: {
      timestamp: { type: 'boolean', short: 'T', default: false },
      queued: { type: 'boolean', short: 'Q', default: false },
      milliseconds: { type: 'boolean', short: 'm', default: false },
      disks: { type: 'boolean', short: 'D', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (positionals.length > 2) throw new UsageError(`unexpected argument: ${positionals[2]}`);
  const [interval, count] = positionals;
  return {
    timestamp: values.timestamp,
    queued: values.queued,
    milliseconds: values.milliseconds,
    disks: values.disks,
    interval: positiveInt('interval', interval),
    count: positiveInt('count', count) ?? Infinity,
  };
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
  dist.clear();
}

runTool('biolatency', USAGE, async (stop) => {
  const options = parseOptions();
  const spec = await loadObjectSpec(exampleObject('biolatency'));
  spec.variables.get('targ_ms')!.set(options.milliseconds);
  spec.variables.get('targ_per_disk')!.set(options.disks);
  spec.variables.get('targ_queued')!.set(options.queued);
  // Insertions into the OS queue only matter with -Q: do not even load that program otherwise.
  spec.program('block_rq_insert')!.autoload = options.queued;
  using obj = await loadObject(spec);
  using _links = attachObject(obj);
  const dist = obj.map('dist')!;

  console.log('Tracing block device I/O... Hit Ctrl-C to end.');
  for await (const _ of stop.intervals(options.interval === undefined ? undefined : options.interval * 1000, options.count)) {
    console.log();
    if (options.timestamp) console.log(timeOfDay());
    printAndClear(dist, options);
  }
});
