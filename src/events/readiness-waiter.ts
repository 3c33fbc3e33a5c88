/**
 * Waiting for an fd to become ready without blocking the event loop: a libuv poll handle (the
 * addon's `pollStart`) that is active only while someone waits.
 */
import { native, type PollHandle } from '../sys/native.js';

/** Why a wait ended: the fd is ready, the timeout passed, or the waiter was closed. */
export type WaitOutcome = 'ready' | 'timeout' | 'closed';

interface PendingWait {
  readonly resolve: (outcome: WaitOutcome) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
  timer: NodeJS.Timeout | undefined;
}

/** Options of a wait. */
export interface WaitOptions {
  /** Ends the wait with the signal's reason (an `AbortError` `DOMException` by default). */
  readonly signal?: AbortSignal;
  /** Ends the wait with `'timeout'` after this many milliseconds. */
  readonly timeoutMs?: number;
}

/**
 * Resolves waits when `fd` becomes ready for `events` (`PollEvents` bits).
 *
 * The poll handle is started by the first wait and stopped as soon as no wait is pending. Ring
 * buffers and perf rings only signal readiness on some producer commits (a ring buffer wakes its
 * waiters when the consumer had caught up; a perf ring at its wakeup mark), and an fd that was
 * reported ready while nobody drained it would wake the loop again and again; adding the fd
 * afresh for each wait makes the kernel check its state at that moment, which covers records
 * that arrived without a wakeup -- for fds whose readiness is a state (ring buffers, pipes).
 *
 * A perf event's readiness is not a state but a one-shot flag: `perf_poll()` returns the pending
 * wakeup and clears it (`atomic_xchg(&rb->poll, 0)`), and epoll polls a file twice when it is
 * added with a wakeup pending (once in `EPOLL_CTL_ADD`, again in `epoll_wait` before reporting
 * it), so the second poll finds nothing and the wakeup is lost: the wait would sleep until the
 * next wakeup with samples in the ring. `recheck` closes that window: it runs once after the
 * event loop has gone through its poll phase with the fd added (two `setImmediate` turns), and
 * a `true` ends the waits as `'ready'`; later wakeups arrive through the registered fd.
 *
 * @example
 * ```ts
 * const w = new ReadinessWaiter(mapFd, PollEvents.READABLE);
 * if ((await w.wait({ signal })) === 'ready') reader.consume(onRecord);
 * w.close();
 * ```
 */
export class ReadinessWaiter {
  readonly #fd: number;
  readonly #events: number;
  readonly #pending = new Set<PendingWait>();
  readonly #recheck: (() => boolean) | undefined;
  #handle: PollHandle | undefined;
  #recheckPending: NodeJS.Immediate | undefined;
  #closed = false;

  /**
   * @param recheck - asked once per arming, after the fd has been added to the event loop's
   *   epoll: `true` (data is there) ends the waits as `'ready'`. For fds whose wakeup is consumed
   *   by polling (perf events).
   */
  constructor(fd: number, events: number, recheck?: () => boolean) {
    this.#fd = fd;
    this.#events = events;
    this.#recheck = recheck;
  }

  /** True while a wait is pending (the poll handle is active). */
  get waiting(): boolean {
    return this.#pending.size > 0;
  }

  /**
   * Waits until the fd is ready. Resolves `'closed'` at once (or when {@link close} runs during
   * the wait), rejects with `signal.reason` when `signal` aborts.
   */
  wait(options: WaitOptions = {}): Promise<WaitOutcome> {
    if (this.#closed) return Promise.resolve('closed');
    const { signal, timeoutMs } = options;
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise<WaitOutcome>((resolve, reject) => {
      const pending: PendingWait = {
        resolve,
        reject,
        signal,
        onAbort: () => this.#finish(pending, undefined, signal?.reason),
        timer: undefined,
      };
      if (timeoutMs !== undefined) pending.timer = setTimeout(() => this.#finish(pending, 'timeout'), Math.max(0, timeoutMs));
      signal?.addEventListener('abort', pending.onAbort, { once: true });
      this.#pending.add(pending);
      this.#arm();
    });
  }

  /** Ends every pending wait with `'closed'`; later waits resolve `'closed'` at once. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of [...this.#pending]) this.#finish(p, 'closed');
    this.#disarm();
  }

  #arm(): void {
    if (this.#handle !== undefined) return;
    this.#handle = native().pollStart(this.#fd, this.#events, () => {
      // Any event, also an error condition (libuv then stops the handle itself), ends the waits:
      // the reader looks at the ring, and the next wait re-adds the fd.
      for (const p of [...this.#pending]) this.#finish(p, 'ready');
    });
    const recheck = this.#recheck;
    if (recheck === undefined) return;
    // libuv adds a started handle's fd in its next poll phase, which comes before the next check
    // phase unless we are in a poll-phase callback now; the second turn is after a poll phase in
    // either case.
    this.#recheckPending = setImmediate(() => {
      this.#recheckPending = setImmediate(() => {
        this.#recheckPending = undefined;
        if (recheck()) for (const p of [...this.#pending]) this.#finish(p, 'ready');
      });
    });
  }

  #disarm(): void {
    if (this.#recheckPending !== undefined) {
      clearImmediate(this.#recheckPending);
      this.#recheckPending = undefined;
    }
    const h = this.#handle;
    if (h === undefined) return;
    this.#handle = undefined;
    native().pollStop(h);
  }

  #finish(p: PendingWait, outcome: WaitOutcome | undefined, reason?: unknown): void {
    if (!this.#pending.delete(p)) return;
    if (p.timer !== undefined) clearTimeout(p.timer);
    p.signal?.removeEventListener('abort', p.onAbort);
    if (this.#pending.size === 0) this.#disarm();
    if (outcome === undefined) p.reject(reason);
    else p.resolve(outcome);
  }
}
