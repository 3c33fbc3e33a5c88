/**
 * bootstrap: libbpf-bootstrap's demo tool in TypeScript. Traces process starts (exec) and exits,
 * with filename, lifetime, PID, PPID and exit code.
 *
 *   node dist/examples/bootstrap/main.js [-d MIN_DURATION_MS] [-v]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { attachObject, createBtfCodec, loadObject, loadObjectSpec, RingBufferReader } from '../../src/index.js';

const USAGE = `Usage: bootstrap [-d MIN_DURATION_MS] [-v]

Traces process starts and exits and shows their filename, lifetime, PID, PPID and exit code.

  -d, --duration MS   only report exits of processes that lived at least MS milliseconds
                      (and no execs)
  -v, --verbose       print the loader's debug log (maps, CO-RE relocations, program loads)
  -h, --help          show this help`;

/** `struct event` of bootstrap.bpf.c, as the object's BTF decodes it. */
interface ProcessEvent {
  pid: number;
  ppid: number;
  exit_code: number;
  duration_ns: bigint;
  comm: string;
  filename: string;
  exit_event: boolean;
}

const OBJECT = fileURLToPath(new URL('../../../examples/bootstrap/bootstrap.bpf.o', import.meta.url));

class UsageError extends Error {}

function parseOptions(): { minDurationMs: number; verbose: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        duration: { type: 'string', short: 'd' },
        verbose: { type: 'boolean', short: 'v', default: false },
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
  let minDurationMs = 0;
  if (values.duration !== undefined) {
    minDurationMs = Number(values.duration);
    if (!Number.isInteger(minDurationMs) || minDurationMs <= 0) throw new UsageError(`invalid duration: ${values.duration}`);
  }
  return { minDurationMs, verbose: values.verbose };
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

function formatEvent(e: ProcessEvent): string {
  const head = `${clock().padEnd(8)} ${(e.exit_event ? 'EXIT' : 'EXEC').padEnd(5)} ${e.comm.padEnd(16)} ${String(e.pid).padEnd(7)} ${String(e.ppid).padEnd(7)}`;
  if (!e.exit_event) return `${head} ${e.filename}`;
  const lived = e.duration_ns === 0n ? '' : ` (${e.duration_ns / 1_000_000n}ms)`;
  return `${head} [${e.exit_code}]${lived}`;
}

async function main(): Promise<void> {
  const { minDurationMs, verbose } = parseOptions();
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

  const spec = await loadObjectSpec(OBJECT);
  spec.variables.get('min_duration_ns')!.set(BigInt(minDurationMs) * 1_000_000n);
  // -v: libbpf-style debug lines, and the verifier's statistics line of each program (log level 4).
  using obj = await loadObject(spec, verbose ? { debug: (line) => console.error(line), logLevel: 4 } : {});
  using links = attachObject(obj);
  if (verbose) for (const [name, link] of links.links) console.error(`bootstrap: prog '${name}' attached to ${'target' in link ? link.target : link.kind}, prog id ${obj.program(name)!.info().id}`);
  using reader = RingBufferReader.open(obj.map('rb')!);
  const [eventType] = spec.btf!.findByName('event', 'STRUCT');
  const codec = createBtfCodec<ProcessEvent>(spec.btf!, eventType!);

  console.log(`${'TIME'.padEnd(8)} ${'EVENT'.padEnd(5)} ${'COMM'.padEnd(16)} ${'PID'.padEnd(7)} ${'PPID'.padEnd(7)} FILENAME/EXIT CODE`);
  const bytes = new Uint8Array(reader.view.buffer, reader.view.byteOffset, reader.view.byteLength);
  try {
    await reader.run((_view, offset) => void console.log(formatEvent(codec.decode(bytes, offset))), { signal: stop.signal });
  } catch (e) {
    if (!stop.signal.aborted) throw e;
  }
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`bootstrap: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(`bootstrap: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
