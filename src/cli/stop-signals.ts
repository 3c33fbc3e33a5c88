/**
 * How streaming commands (`prog tracelog`, `map event_pipe`) stop: SIGINT, SIGTERM or SIGHUP (as
 * bpftool handles them), or an `AbortSignal` given by an embedding caller.
 */

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** A stop request to wait on; `dispose()` removes the signal handlers. */
export interface StopRequest extends Disposable {
  readonly signal: AbortSignal;
}

/**
 * Installs the handlers. `onStop` runs once, when the first stop arrives (bpftool's event_pipe
 * prints `Stopping...` then).
 *
 * @example
 * ```ts
 * using stop = stopOnSignals();
 * while (!stop.signal.aborted) await reader.poll(print, { signal: stop.signal }).catch(() => 0);
 * ```
 */
export function stopOnSignals(external?: AbortSignal, onStop?: () => void): StopRequest {
  const controller = new AbortController();
  const stop = (): void => {
    if (controller.signal.aborted) return;
    onStop?.();
    controller.abort();
  };
  for (const s of STOP_SIGNALS) process.on(s, stop);
  external?.addEventListener('abort', stop, { once: true });
  if (external?.aborted === true) stop();
  return {
    signal: controller.signal,
    [Symbol.dispose](): void {
      for (const s of STOP_SIGNALS) process.off(s, stop);
      external?.removeEventListener('abort', stop);
    },
  };
}
