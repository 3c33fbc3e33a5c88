/**
 * How every example tool starts and ends: a stop request for SIGINT/SIGTERM/SIGHUP kept for the
 * process's whole life (a second signal never cuts the cleanup short), its compiled object next
 * to its source, and the exit codes: 0 when stopped or done, 2 with the usage for a bad command
 * line, 1 with one `TOOL: message` line for anything else.
 */
import { fileURLToPath } from 'node:url';
import { stopOnSignals, type StopRequest } from '../../src/index.js';
import { UsageError } from './command-line.js';

/** `examples/NAME/NAME.bpf.o` of the checkout, wherever the tool is run from. */
export function exampleObject(name: string): string {
  return fileURLToPath(new URL(`../../../examples/${name}/${name}.bpf.o`, import.meta.url));
}

/**
 * Runs `main` with a {@link StopRequest}. The readers and waits `main` gives `stop.signal` to
 * reject with its reason when the stop arrives: that rejection ends the tool normally (the
 * `using` declarations of `main` have closed its readers, links and objects by then).
 *
 * @example
 * ```ts
 * runTool('opensnoop', USAGE, async (stop) => {
 *   using obj = await loadObject(exampleObject('opensnoop'));
 *   // ...
 *   for await (const e of reader.decoded(codec, { signal: stop.signal })) console.log(format(e));
 * });
 * ```
 */
export function runTool(name: string, usage: string, main: (stop: StopRequest) => Promise<void>): void {
  const stop = stopOnSignals();
  // process.exit() at the end rather than an empty event loop: Node's own shutdown puts each
  // signal's default action back first, and one more Ctrl-C in that moment would still kill the
  // tool (a C tool's handlers last until exit()).
  const fail = (e: unknown): never => {
    if (stop.signal.aborted && e === stop.signal.reason) process.exit(0);
    if (e instanceof UsageError) {
      console.error(`${name}: ${e.message}\n${usage}`);
      process.exit(2);
    }
    console.error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  };
  main(stop).then(() => process.exit(0), fail);
}
