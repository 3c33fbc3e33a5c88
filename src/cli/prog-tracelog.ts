/**
 * `prog tracelog`: prints tracefs `trace_pipe` (what `bpf_printk()` writes) until SIGINT, SIGTERM
 * or SIGHUP, then exits 0, as bpftool's `do_tracelog`. Lines go out verbatim (under -j, as a JSON
 * array of strings, each with its newline, closed on exit). When no tracefs is mounted, it is
 * mounted at /sys/kernel/tracing (root only), with bpftool's note first.
 */
import { TracePipeReader } from '../events/index.js';
import { TracefsError, tracefsMounts } from '../sys/index.js';
import { readFileSync } from 'node:fs';
import { CliError, type CliContext } from './context.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function tracefsMounted(): boolean {
  try {
    return tracefsMounts(readFileSync('/proc/self/mounts', 'utf8')).length > 0;
  } catch {
    return false;
  }
}

/** Escapes a string as JSON, bpftool's writer laid out (compact: no spaces; pretty: 4 spaces). */
function jsonString(s: string): string {
  return JSON.stringify(s);
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
  let first = true;
  const emit = (raw: string): void => {
    if (!ctx.json) {
      ctx.out(`${raw}\n`);
      return;
    }
    const sep = first ? '' : ',';
    first = false;
    ctx.out(ctx.pretty ? `${sep}\n    ${jsonString(`${raw}\n`)}` : `${sep}${jsonString(`${raw}\n`)}`);
  };
  let reader: TracePipeReader;
  try {
    reader = TracePipeReader.open({ onOtherLine: emit });
  } catch (e) {
    if (e instanceof TracefsError) throw new CliError(e.message, 255, { cause: e });
    throw e;
  }
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  signal?.addEventListener('abort', onSignal, { once: true });
  if (ctx.json) ctx.out('[');
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
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
    signal?.removeEventListener('abort', onSignal);
    reader.close();
  }
  if (ctx.json) ctx.out(ctx.pretty && !first ? '\n]\n' : ']\n');
  return 0;
}
