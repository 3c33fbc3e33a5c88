/**
 * bashreadline: prints the command lines typed into every running bash, like bcc's
 * bashreadline (`TIME PID COMMAND`), from a uretprobe on readline().
 *
 *   node dist/examples/bashreadline/main.js [-s LIBREADLINE]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { attachUprobe, createBtfCodec, loadObject, PerfBufferReader, resolveBinaryPath, resolveUprobe, SymbolResolveError } from '../../src/index.js';

const BASH = '/bin/bash';

const USAGE = `Usage: bashreadline [-h] [-s PATH]

Prints the command lines entered in every running bash.

  -s, --shared PATH   the libreadline.so to probe, when bash does not carry readline() itself
  -h, --help          show this help`;

const OBJECT = fileURLToPath(new URL('../../../examples/bashreadline/bashreadline.bpf.o', import.meta.url));

/** `struct event` of bashreadline.bpf.c. */
interface ReadlineEvent {
  pid: number;
  line: string;
}

class UsageError extends Error {}

function parseOptions(): { shared: string | undefined } {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        shared: { type: 'string', short: 's' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
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

async function main(): Promise<void> {
  const options = parseOptions();
  const stop = new AbortController();
  // Handlers stay installed: a second signal (`timeout` signals the child and its group) must not kill the cleanup.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stop.abort());

  using obj = await loadObject(OBJECT);
  // SEC("uretprobe") names no target, so the attach says where.
  using _link = attachUprobe(obj.program('readline_return')!, { binary: readlineBinary(options.shared), symbol: 'readline', retprobe: true });
  using reader = PerfBufferReader.open(obj.map('events')!);
  const btf = obj.spec.btf!;
  const [eventType] = btf.findByName('event', 'STRUCT');
  const codec = createBtfCodec<ReadlineEvent>(btf, eventType!);

  console.log(`${'TIME'.padEnd(9)} ${'PID'.padEnd(7)} COMMAND`);
  try {
    for await (const e of reader.decoded(codec, { signal: stop.signal })) {
      console.log(`${new Date().toTimeString().slice(0, 8).padEnd(9)} ${String(e.pid).padEnd(7)} ${e.line}`);
    }
  } catch (e) {
    if (!stop.signal.aborted) throw e;
  }
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`bashreadline: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(`bashreadline: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
