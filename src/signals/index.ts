/**
 * How a tool stops: SIGINT/SIGTERM/SIGHUP as an `AbortSignal`, and interval waits cut short by
 * it. Imports nothing of bpf-ts.
 */
export { DEFAULT_STOP_SIGNALS, stopOnSignals, type StopOnSignalsOptions, type StopRequest } from './stop-on-signals.js';
