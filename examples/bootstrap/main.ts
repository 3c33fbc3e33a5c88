/**
 * bootstrap: libbpf-bootstrap's demo tool in TypeScript. Traces process starts (exec) and exits,
 * with filename, lifetime, PID, PPID and exit code.
 *
 *   node dist/examples/bootstrap/main.js [-d MIN_DURATION_MS] [-v]
 */
import { parseToolArgs, positiveInt } from '../shared/command-line.js';
import { runTool } from '../shared/run-tool.js';
import { timeOfDay } from '../shared/time-of-day.js';
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

function parseOptions(): { minDurationMs: number; verbose: boolean } {
  const { values } = parseToolArgs(USAGE, {
    options: {
      duration: { type: 'string', short: 'd' },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  return { minDurationMs: positiveInt('duration', values.duration) ?? 0, verbose: values.verbose };
}

function formatEvent(e: Event): string {
  const head = `${timeOfDay().padEnd(8)} ${(e.exit_event ? 'EXIT' : 'EXEC').padEnd(5)} ${e.comm.padEnd(16)} ${String(e.pid).padEnd(7)} ${String(e.ppid).padEnd(7)}`;
  if (!e.exit_event) return `${head} ${e.filename}`;
  const lived = e.duration_ns === 0n ? '' : ` (${e.duration_ns / 1_000_000n}ms)`;
  return `${head} [${e.exit_code}]${lived}`;
}

runTool('bootstrap', USAGE, async (stop) => {
  const { minDurationMs, verbose } = parseOptions();
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
  await reader.run((_view, offset) => void console.log(formatEvent(codec.decode(bytes, offset))), { signal: stop.signal });
});
