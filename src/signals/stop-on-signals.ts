/**
 * Stopping a tool on SIGINT/SIGTERM/SIGHUP: the "run until Ctrl-C" part every eBPF tool has
 * (libbpf-bootstrap's `signal(SIGINT, sig_handler)` + `exiting` flag, bcc's `KeyboardInterrupt`),
 * as an `AbortSignal` that the readers and waits of this library take.
 */

/** The signals {@link stopOnSignals} handles unless told otherwise (bpftool's event_pipe set). */
export const DEFAULT_STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Longest delay a Node timer takes (ms); longer waits are made of several. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Options of {@link stopOnSignals}. */
export interface StopOnSignalsOptions {
  /** The signals that stop (default {@link DEFAULT_STOP_SIGNALS}). */
  readonly signals?: readonly NodeJS.Signals[];
  /** Stop as well when this aborts: a caller's signal, or `AbortSignal.timeout(ms)` for a duration. */
  readonly signal?: AbortSignal | undefined;
  /** Runs once, when the first stop arrives. */
  readonly onStop?: (() => void) | undefined;
}

/** A stop to wait on; see {@link stopOnSignals}. */
export interface StopRequest extends Disposable {
  /**
   * Aborts at the first stop; its `reason` is an `AbortError` `DOMException` naming the signal
   * (`stopped by SIGINT`), or the reason of the `signal` option.
   */
  readonly signal: AbortSignal;
  /** Stops now, as a signal would (a tool's `--duration` ending, say); `reason` defaults to an `AbortError`. */
  abort(reason?: unknown): void;
  /**
   * Resolves `'elapsed'` after `ms` milliseconds (never when `undefined`), or `'stopped'` as soon
   * as the stop arrives (at once when it already has). A pending wait keeps the process alive.
   */
  wait(ms?: number): Promise<'elapsed' | 'stopped'>;
  /**
   * bcc's interval loop (`while 1: sleep(interval); print; if exiting: exit()`): yields after each
   * `ms` (only at the stop when `undefined`), at most `count` times, and once more, then no
   * more, when the stop cuts a wait short.
   */
  intervals(ms: number | undefined, count?: number): AsyncGenerator<'elapsed' | 'stopped', void, undefined>;
}

/**
 * Installs handlers for SIGINT, SIGTERM and SIGHUP (or `options.signals`) that abort
 * `signal`. The handlers stay installed until disposed, so a second signal never kills the
 * process while it cleans up: `timeout` and a terminal's Ctrl-C signal the whole process group,
 * and a shell script's `kill` may follow. A command-line tool keeps the request for its whole
 * life (it does not dispose it): a signal arriving as the process exits is then ignored too.
 * Node puts a signal's default action back when its last handler is removed, and for every
 * signal while it shuts down once the event loop is empty: a tool that must end with code 0
 * however many signals come ends with `process.exit()` instead.
 *
 * @example
 * ```ts
 * const stop = stopOnSignals();
 * using obj = await loadObject(spec);
 * using _links = attachObject(obj);
 * using reader = RingBufferReader.open(obj.map('events')!);
 * await reader.run(print, { signal: stop.signal }).catch((e) => { if (e !== stop.signal.reason) throw e; });
 * // interval tools:
 * for await (const _ of stop.intervals(1000, 10)) printAndClear(obj.map('dist')!);
 * ```
 */
export function stopOnSignals(options: StopOnSignalsOptions = {}): StopRequest {
  const signals = options.signals ?? DEFAULT_STOP_SIGNALS;
  const external = options.signal;
  const controller = new AbortController();
  const stop = (reason: unknown): void => {
    if (controller.signal.aborted) return;
    options.onStop?.();
    controller.abort(reason);
  };
  const onSignal = (name: NodeJS.Signals): void => stop(new DOMException(`stopped by ${name}`, 'AbortError'));
  const onExternal = (): void => stop(external?.reason);
  for (const s of signals) process.on(s, onSignal);
  external?.addEventListener('abort', onExternal, { once: true });
  if (external?.aborted === true) onExternal();

  const wait = (ms?: number): Promise<'elapsed' | 'stopped'> =>
    new Promise((resolve) => {
      const signal = controller.signal;
      if (signal.aborted) return resolve('stopped');
      let left = ms ?? Infinity;
      let timer: NodeJS.Timeout;
      // Chained timers: Node cuts a longer delay to 1 ms, and one must be pending to keep the loop alive.
      const arm = (): void => {
        const step = Math.min(left, MAX_TIMER_MS);
        left -= step;
        timer = setTimeout(() => (left > 0 ? arm() : done('elapsed')), step);
      };
      const done = (why: 'elapsed' | 'stopped'): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(why);
      };
      const onAbort = (): void => done('stopped');
      signal.addEventListener('abort', onAbort, { once: true });
      arm();
    });

  return {
    signal: controller.signal,
    abort: (reason?: unknown) => stop(reason ?? new DOMException('stopped', 'AbortError')),
    wait,
    async *intervals(ms: number | undefined, count = Infinity) {
      for (let i = 0; i < count; i++) {
        const why = await wait(ms);
        yield why;
        if (why === 'stopped') return;
      }
    },
    [Symbol.dispose](): void {
      for (const s of signals) process.off(s, onSignal);
      external?.removeEventListener('abort', onExternal);
    },
  };
}
