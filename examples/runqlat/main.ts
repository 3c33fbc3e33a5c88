/**
 * runqlat: run queue (scheduler) latency as a log2 histogram, like bcc's runqlat: how long
 * tasks wait on a run queue between becoming runnable and running. Prints every `interval`
 * seconds (`count` times), and once more on Ctrl-C; `-P`/`-L` print one histogram per
 * process/thread.
 *
 *   node dist/examples/runqlat/main.js [-T] [-m] [-P | -L] [-p PID] [interval [count]]
 */
import {
  attachObject,
  formatLog2Histogram,
  formatSectionHistograms,
  loadObject,
  loadObjectSpec,
  readHistogram,
  readSectionHistograms,
} from '../../src/index.js';
import { parseToolArgs, positiveInt, UsageError } from '../shared/command-line.js';
import { exampleObject, runTool } from '../shared/run-tool.js';
import { timeOfDay } from '../shared/time-of-day.js';

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

interface Options {
  timestamp: boolean;
  milliseconds: boolean;
  perProcess: boolean;
  perThread: boolean;
  pid: number | undefined;
  interval: number | undefined;
  count: number;
}

function parseOptions(): Options {
  const { values, positionals } = parseToolArgs(USAGE, {
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

runTool('runqlat', USAGE, async (stop) => {
  const options = parseOptions();
  const units = options.milliseconds ? 'msecs' : 'usecs';

  const spec = await loadObjectSpec(exampleObject('runqlat'));
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
  for await (const _ of stop.intervals(options.interval === undefined ? undefined : options.interval * 1000, options.count)) {
    let out = '\n';
    if (options.timestamp) out += `${timeOfDay()}\n`;
    process.stdout.write(out + histograms());
  }
});
