import { readlinkSync } from 'node:fs';
import { BpfTsError } from '../errors/index.js';
import { native } from './native.js';

/** Thrown when an {@link OwnedFd} is used after `close()` or `release()`. */
export class FdClosedError extends BpfTsError {
  constructor(readonly description: string) {
    super(`${description}: file descriptor already closed`);
  }
}

/** Closes fds whose owner was garbage-collected without `close()`. */
const forgotten = new FinalizationRegistry<number>((fd) => {
  try {
    native().close(fd);
  } catch {
    // Nothing to report to: the owner is gone, and a failed close leaves nothing to retry.
  }
});

/**
 * A file descriptor this process owns (a program, map, link, BTF object, pinned object, ...).
 * `close()` is idempotent; `using fd = ...` closes it at scope exit; one dropped without
 * `close()` is closed by a FinalizationRegistry when collected, but do not rely on that in
 * loops: the kernel object stays alive until then.
 *
 * @example
 * ```ts
 * using fd = progGetFdById(42);
 * const info = getProgInfo(fd);
 * ```
 */
export class OwnedFd {
  #fd: number;

  constructor(
    fd: number,
    /** What the fd is, for messages (`'prog 42'`). */
    readonly description = 'fd',
  ) {
    if (!Number.isInteger(fd) || fd < 0) throw new RangeError(`invalid file descriptor ${fd}`);
    this.#fd = fd;
    forgotten.register(this, fd, this);
  }

  /** The raw fd number; throws {@link FdClosedError} once closed. */
  get fd(): number {
    if (this.#fd < 0) throw new FdClosedError(this.description);
    return this.#fd;
  }

  /** True after `close()` or `release()`. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Closes the fd (once; later calls do nothing). */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    forgotten.unregister(this);
    native().close(fd);
  }

  /** Gives up ownership and returns the raw fd: the caller must close it. */
  release(): number {
    const fd = this.fd;
    this.#fd = -1;
    forgotten.unregister(this);
    return fd;
  }

  /** A second fd for the same kernel object (`F_DUPFD_CLOEXEC`), owned separately. */
  dup(): OwnedFd {
    return new OwnedFd(native().dup(this.fd), this.description);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** The kind of BPF object behind an fd (the anon inode name the kernel gives it). */
export type BpfFdKind = 'prog' | 'map' | 'link' | 'btf' | 'unknown';

/**
 * What an fd refers to, from `/proc/self/fd/N` (`anon_inode:bpf-prog`, `bpf-map`, `bpf-link` or
 * `bpf_link`, `btf`), as bpftool's `get_fd_type()` tells pinned objects apart.
 */
export function bpfFdKind(fd: number | OwnedFd): BpfFdKind {
  const n = typeof fd === 'number' ? fd : fd.fd;
  let target: string;
  try {
    target = readlinkSync(`/proc/self/fd/${n}`);
  } catch {
    return 'unknown';
  }
  if (target.includes('bpf-map')) return 'map';
  if (target.includes('bpf-prog')) return 'prog';
  // A link fresh from its attach call is `bpf_link`; one reopened by id or pin is `bpf-link`.
  if (target.includes('bpf-link') || target.includes('bpf_link')) return 'link';
  if (target === 'anon_inode:btf') return 'btf';
  return 'unknown';
}
