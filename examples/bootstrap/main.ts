/**
 * bootstrap: libbpf-bootstrap's demo tool in TypeScript. Traces process starts (exec) and exits,
 * with filename, lifetime, PID, PPID and exit code.
 *
 *   node dist/examples/bootstrap/main.js [-d MIN_DURATION_MS] [-v]
 */
import { parseArgs } from 'node:util';
// The typed skeleton of bootstrap.bpf.o, regenerated after changing the C with (from the repository root):
//   ./bin/bpf-ts gen skeleton examples/bootstrap/bootstrap.bpf.o --path=../../../examples/bootstrap/bootstrap.bpf.o \
//     --import ../../src/index.js --type rb=event > examples/bootstrap/bootstrap.skel.ts
import { BootstrapSkeleton, type Event } from './bootstrap.skel.js';

const USAGE = `Usage: bootstrap [-d MIN_DURATION_MS] [-v]

Traces process starts and exits and shows their filename, lifetime, PID, PPID and exit code.

  -d, --duration MS   only report exits of processes that lived at least MS milliseconds
                      (and no execs)
  -v, --verbose       print the loader's debug log (maps, CO-RE relocations, program loads)
  -h, --help          show this help`;

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

function formatEvent(e: Event): string {
  const head = `${clock().padEnd(8)} ${(e.exit_event ? 'EXIT' : 'EXEC').padEnd(5)} ${e.comm.padEnd(16)} ${String(e.pid).padEnd(7)} ${String(e.ppid).padEnd(7)}`;
  if (!e.exit_event) return `${head} ${e.filename}`;
  const lived = e.duration_ns === 0n ? '' : ` (${e.duration_ns / 1_000_000n}ms)`;
  return `${head} [${e.exit_code}]${lived}`;
}

async function main(): Promise<void> {
  const { minDurationMs, verbose } = parseOptions();
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

  using skel = BootstrapSkeleton.open();
  skel.rodata.min_duration_ns = BigInt(minDurationMs) * 1_000_000n;
  // -v: libbpf-style debug lines, and the verifier's statistics line of each program (log level 4).
  skel.load(verbose ? { debug: (line) => console.error(line), logLevel: 4 } : {}).attach();
  if (verbose) {
    for (const [name, link] of skel.links) console.error(`bootstrap: prog '${name}' attached to ${'target' in link ? link.target : link.kind}, prog id ${skel.object.program(name)!.info().id}`);
  }
  using reader = skel.maps.rb.open();
  const codec = skel.maps.rb.codec;

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
