/**
 * `prog tracelog`: prints tracefs `trace_pipe` (what `bpf_printk()` writes) until SIGINT, SIGTERM
 * or SIGHUP, then exits 0, as bpftool's `do_tracelog`. Lines go out verbatim (under -j, as a JSON
 * array of strings, each with its newline, closed on exit). When no tracefs is mounted, it is
 * mounted at /sys/kernel/tracing (root only), with bpftool's note first.
 */
import { TracePipeReader } from '../events/trace-pipe-reader.js';
import { TracefsError, tracefsMounts } from '../sys/tracefs.js';
import { readFileSync } from 'node:fs';
import { CliError, type CliContext } from './context.js';
import { JsonWriter } from './json-writer.js';
import { PERMISSION_EXIT, permissionAware } from './permission.js';
import { stopOnSignals } from '../signals/stop-on-signals.js';

function tracefsMounted(): boolean {
  try {
    return tracefsMounts(readFileSync('/proc/self/mounts', 'utf8')).length > 0;
  } catch {
    return false;
  }
}


/**
 * `prog tracelog`. `signal` (tests, embedding) stops it like SIGINT does.
 *
 * @example
 * ```ts
 * await progTracelog([], ctx); // streams until Ctrl-C
 * ```
 */
export async function progTracelog(args: readonly string[], ctx: CliContext, signal?: AbortSignal): Promise<number> {
  if (args.length > 0) throw new CliError(`what is '${args[0] ?? ''}'?`);
  if (!tracefsMounted() && !ctx.json) ctx.err('could not find tracefs, attempting to mount it now\n');
  const json = ctx.json ? new JsonWriter(ctx.pretty) : undefined;
  const emit = (raw: string): void => ctx.out(json === undefined ? `${raw}\n` : json.string(`${raw}\n`).take());
  let reader: TracePipeReader;
  try {
    reader = TracePipeReader.open({ onOtherLine: emit });
  } catch (e) {
    // bpftool's wording for a pipe that cannot be opened; a missing tracefs keeps our message.
    if (e instanceof TracefsError && e.path?.endsWith('trace_pipe') === true) {
      const code = (e.cause as NodeJS.ErrnoException | undefined)?.code;
      throw permissionAware(`could not open trace pipe: ${code === 'EACCES' || code === 'EPERM' ? 'Permission denied' : e.message}`, e, 'trace_pipe is readable by root only');
    }
    // Without root, a missing tracefs is a privilege failure: tracefsRoot's message already says
    // what to run as root, so only the exit code follows the permission convention.
    if (e instanceof TracefsError && process.getuid?.() !== 0) throw new CliError(e.message, PERMISSION_EXIT, { cause: e });
    if (e instanceof TracefsError) throw permissionAware(e.message, e, 'mounting tracefs needs CAP_SYS_ADMIN');
    throw e;
  }
  using stop = stopOnSignals({ signal });
  if (json !== undefined) ctx.out(json.startArray().take());
  try {
    for (;;) {
      let line;
      try {
        line = await reader.next({ signal: stop.signal });
      } catch (e) {
        if (stop.signal.aborted) break;
        throw new CliError(`failed to read content from trace pipe: ${(e as Error).message}`, 255, { cause: e });
      }
      if (line === undefined) break;
      emit(line.raw);
    }
  } finally {
    reader.close();
  }
  if (json !== undefined) ctx.out(json.endArray().finish());
  return 0;
}
