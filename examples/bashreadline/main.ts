/**
 * bashreadline: prints the command lines typed into every running bash, like bcc's
 * bashreadline (`TIME PID COMMAND`), from a uretprobe on readline().
 *
 *   node dist/examples/bashreadline/main.js [-s LIBREADLINE]
 */
import { attachUprobe, createBtfCodec, loadObject, PerfBufferReader, resolveBinaryPath, resolveUprobe, SymbolResolveError } from '../../src/index.js';
import { parseToolArgs } from '../shared/command-line.js';
import { exampleObject, runTool } from '../shared/run-tool.js';
import { timeOfDay } from '../shared/time-of-day.js';

const BASH = '/bin/bash';

const USAGE = `Usage: bashreadline [-h] [-s PATH]

Prints the command lines entered in every running bash.

  -s, --shared PATH   the libreadline.so to probe, when bash does not carry readline() itself
  -h, --help          show this help`;

/** `struct event` of bashreadline.bpf.c. */
interface ReadlineEvent {
  pid: number;
  line: string;
}

function parseOptions(): { shared: string | undefined } {
  const { values } = parseToolArgs(USAGE, {
    options: {
      shared: { type: 'string', short: 's' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  return { shared: values.shared };
}

/**
 * Where readline() is: bash itself when it defines the symbol (Debian and Ubuntu build bash with
 * its bundled readline), else the shared libreadline bash loads.
 */
function readlineBinary(shared: string | undefined): string {
  if (shared !== undefined) return shared;
  try {
    resolveUprobe({ binary: BASH, symbol: 'readline' });
    return BASH;
  } catch (e) {
    if (!(e instanceof SymbolResolveError)) throw e;
    return resolveBinaryPath('libreadline.so.8');
  }
}

runTool('bashreadline', USAGE, async (stop) => {
  const options = parseOptions();
  using obj = await loadObject(exampleObject('bashreadline'));
  // SEC("uretprobe") names no target, so the attach says where.
  using _link = attachUprobe(obj.program('readline_return')!, { binary: readlineBinary(options.shared), symbol: 'readline', retprobe: true });
  using reader = PerfBufferReader.open(obj.map('events')!);
  const btf = obj.spec.btf!;
  const [eventType] = btf.findByName('event', 'STRUCT');
  const codec = createBtfCodec<ReadlineEvent>(btf, eventType!);

  console.log(`${'TIME'.padEnd(9)} ${'PID'.padEnd(7)} COMMAND`);
  for await (const e of reader.decoded(codec, { signal: stop.signal })) {
    console.log(`${timeOfDay().padEnd(9)} ${String(e.pid).padEnd(7)} ${e.line}`);
  }
});
