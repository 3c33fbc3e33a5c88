/**
 * `TracePipeReader`: `bpf_printk()` output from tracefs `trace_pipe`, line by line, as bcc's
 * `trace_print()`/`trace_fields()` read it.
 */
import { constants, openSync } from 'node:fs';
import { join } from 'node:path';
import { isNativeError, toSysError } from '../sys/errors.js';
import { OwnedFd } from '../sys/fd.js';
import { PollEvents, native } from '../sys/native.js';
import { TracefsError, tracefsRoot } from '../sys/tracefs.js';
import { ReadinessWaiter, type WaitOptions } from './readiness-waiter.js';

/**
 * One line of `trace_pipe`.
 *
 * @example
 * ```ts
 * const line: TraceLine | undefined = parseTraceLine(raw);
 * if (line?.source === 'bpf_trace_printk') console.log(`${line.task}-${line.pid}: ${line.message}`);
 * ```
 */
export interface TraceLine {
  /** The task's comm (`bash`, `<idle>`, `<...>` when the kernel no longer knows it). */
  readonly task: string;
  readonly pid: number;
  /** The tgid column, when the `record-tgid` option prints it. */
  readonly tgid?: number;
  readonly cpu: number;
  /** The irq/preempt flags column (`d..31`, `....`). */
  readonly flags: string;
  /** Seconds, as printed (`1234.567890`). */
  readonly timestamp: number;
  /** What printed the line: `bpf_trace_printk` for `bpf_printk()`. */
  readonly source: string;
  /** The message, without the trailing newline. */
  readonly message: string;
  /** The whole line. */
  readonly raw: string;
}

// `<task>-<pid> [(<tgid>)] [<cpu>] <flags> <timestamp>: <source>: <message>`; the task name may
// contain spaces and dashes, so the pid is the last `-digits` before the cpu column.
const LINE = /^\s*(.*)-(\d+)\s+(?:\(\s*(\d+|-+)\)\s+)?\[(\d+)\]\s+(\S+\s+)?(\d+\.\d+):\s+([^:\s]+):\s?(.*)$/;

/**
 * Parses a `trace_pipe` line; `undefined` for lines that are not events (such as the
 * `CPU:1 [LOST 3 EVENTS]` notes).
 *
 * @example
 * ```ts
 * parseTraceLine('  node-4242  [001] d..31  123.456789: bpf_trace_printk: hello');
 * // { task: 'node', pid: 4242, cpu: 1, flags: 'd..31', timestamp: 123.456789, source: 'bpf_trace_printk', message: 'hello', ... }
 * ```
 */
export function parseTraceLine(line: string): TraceLine | undefined {
  const m = LINE.exec(line);
  if (m === null) return undefined;
  const tgid = m[3] !== undefined && /^\d+$/.test(m[3]) ? Number(m[3]) : undefined;
  const base = {
    task: (m[1] ?? '').trim(),
    pid: Number(m[2]),
    cpu: Number(m[4]),
    flags: (m[5] ?? '').trim(),
    timestamp: Number(m[6]),
    source: m[7] ?? '',
    message: m[8] ?? '',
    raw: line,
  };
  return tgid === undefined ? base : { ...base, tgid };
}

/** Options of {@link TracePipeReader.open}. */
export interface TracePipeOptions {
  /** The tracefs directory; default: found or mounted by `tracefsRoot()`. */
  readonly tracefs?: string;
  /**
   * Receives the lines that are not events (the kernel's `CPU:1 [LOST 3 EVENTS]` notes), which
   * the reader otherwise drops: a tool printing the pipe verbatim (`bpf-ts prog tracelog`) wants them.
   */
  readonly onOtherLine?: (raw: string) => void;
}

const O_NONBLOCK = constants.O_NONBLOCK;
const READ_CHUNK = 64 * 1024;

/**
 * Reads `trace_pipe` without blocking the event loop. Reading consumes: lines read here are gone
 * for every other reader of the pipe (as with `cat trace_pipe`), so keep one reader per system.
 *
 * @example
 * ```ts
 * using pipe = TracePipeReader.open();
 * for await (const line of pipe.lines({ signal })) if (line.source === 'bpf_trace_printk') console.log(line.pid, line.message);
 * ```
 */
export class TracePipeReader implements AsyncIterable<TraceLine> {
  /** The `trace_pipe` path read. */
  readonly path: string;
  readonly #fd: OwnedFd;
  readonly #waiter: ReadinessWaiter;
  readonly #buffer = new Uint8Array(READ_CHUNK);
  readonly #decoder = new TextDecoder();
  #partial = '';
  #queue: TraceLine[] = [];
  #closed = false;
  readonly #onOtherLine: ((raw: string) => void) | undefined;

  private constructor(path: string, fd: OwnedFd, onOtherLine: ((raw: string) => void) | undefined) {
    this.path = path;
    this.#fd = fd;
    this.#onOtherLine = onOtherLine;
    this.#waiter = new ReadinessWaiter(fd.fd, PollEvents.READABLE);
  }

  /**
   * Opens `trace_pipe` (mounting tracefs when needed). Throws {@link TracefsError} when tracefs
   * is unavailable or the pipe cannot be opened.
   *
   * @example
   * ```ts
   * using pipe = TracePipeReader.open({ tracefs: '/sys/kernel/tracing' });
   * ```
   */
  static open(options: TracePipeOptions = {}): TracePipeReader {
    const dir = options.tracefs ?? tracefsRoot();
    const path = join(dir, 'trace_pipe');
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | O_NONBLOCK);
    } catch (e) {
      throw new TracefsError(`cannot open ${path}: ${(e as Error).message}`, path, { cause: e });
    }
    return new TracePipeReader(path, new OwnedFd(fd, path), options.onOtherLine);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The complete lines readable now (never waits); a line cut by the read stays for the next call.
   *
   * @example
   * ```ts
   * for (const line of pipe.readAvailable()) console.log(line.message);
   * ```
   */
  readAvailable(): TraceLine[] {
    this.#fill();
    const out = this.#queue;
    this.#queue = [];
    return out;
  }

  /**
   * The next line, waiting on the event loop: `undefined` after close or timeout; rejects with
   * `signal.reason` on abort.
   *
   * @example
   * ```ts
   * const line = await pipe.next({ timeoutMs: 1000 });
   * ```
   */
  async next(options: WaitOptions = {}): Promise<TraceLine | undefined> {
    for (;;) {
      if (this.#closed) return undefined;
      if (this.#queue.length === 0) this.#fill();
      const line = this.#queue.shift();
      if (line !== undefined) return line;
      if ((await this.#waiter.wait(options)) !== 'ready') return undefined;
    }
  }

  /**
   * Every line until close (ends) or abort (rejects).
   *
   * @example
   * ```ts
   * for await (const line of pipe.lines({ signal: AbortSignal.timeout(5000) })) console.log(line.raw);
   * ```
   */
  async *lines(options: { readonly signal?: AbortSignal } = {}): AsyncGenerator<TraceLine, void, undefined> {
    const wait: WaitOptions = options.signal === undefined ? {} : { signal: options.signal };
    for (;;) {
      const line = await this.next(wait);
      if (line === undefined) return;
      yield line;
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<TraceLine, void, undefined> {
    return this.lines();
  }

  /** Ends waits and closes the pipe. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiter.close();
    this.#fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #fill(): void {
    if (this.#closed) return;
    const sys = native();
    for (;;) {
      let n: number;
      try {
        n = sys.read(this.#fd.fd, this.#buffer);
      } catch (e) {
        if (isNativeError(e) && (e.code === 'EAGAIN' || e.code === 'EINTR')) break;
        throw new TracefsError(`reading ${this.path} failed`, this.path, { cause: toSysError(e, 'read', `read ${this.path}`) });
      }
      if (n <= 0) break;
      const text = this.#partial + this.#decoder.decode(this.#buffer.subarray(0, n), { stream: true });
      const parts = text.split('\n');
      this.#partial = parts.pop() ?? '';
      for (const raw of parts) {
        const line = parseTraceLine(raw);
        if (line !== undefined) this.#queue.push(line);
        else if (raw !== '') this.#onOtherLine?.(raw);
      }
      if (n < this.#buffer.byteLength) break;
    }
  }
}
