/**
 * The Rust N-API addon (`crates/sys`), typed. This is the only module that loads it; everything
 * else in `src/sys` goes through these functions. The addon does raw system calls and nothing
 * else: encoding and decoding of kernel structs happens in TypeScript.
 *
 * Every function throws a {@link NativeError}-shaped `Error` (`errno`, `code`, `syscall`) on
 * failure and never aborts the process, whatever JS passes.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { BpfTsError } from '../errors/index.js';

/** The shape of errors thrown by the addon. */
export interface NativeError extends Error {
  /** Positive errno value (`EPERM` = 1, ...). */
  errno: number;
  /** Symbolic errno name: `'EPERM'`, `'ENOENT'`, ... */
  code: string;
  /** The syscall that failed: `'bpf'`, `'perf_event_open'`, ... */
  syscall: string;
}

/** Readiness events delivered to a {@link NativeAddon.pollStart} callback (`EPOLLIN`-style bits). */
export const PollEvents = { READABLE: 1, WRITABLE: 2, DISCONNECT: 4 } as const;

/** An opaque handle returned by {@link NativeAddon.pollStart}. */
export interface PollHandle {
  readonly __pollHandle: unique symbol;
}

/** Functions exported by `native/bpf-ts-sys.node`. */
export interface NativeAddon {
  /**
   * `bpf(cmd, attr, attr.byteLength)`. Returns the syscall's non-negative result (often an fd).
   *
   * `keepAlive`: pass every buffer whose {@link address} is stored in `attr` (keys, values, log
   * buffers, instruction arrays...). The addon ignores them; being call arguments keeps them
   * alive until the kernel is done. A buffer referenced only by a local that is not used after
   * the call may be collected before or during it (optimized code treats the local as dead),
   * and the kernel then writes into freed memory.
   */
  bpf(cmd: number, attr: Uint8Array, ...keepAlive: unknown[]): number;
  /**
   * {@link bpf} that returns `-errno` when the call fails instead of throwing (bad arguments still
   * throw). For hot paths whose failures are expected outcomes (ENOENT: a missing map key, the
   * end of a walk): a thrown addon error costs several times the system call. Turn any other
   * failure into the usual error with {@link sysError}.
   */
  bpfErrno(cmd: number, attr: Uint8Array, ...keepAlive: unknown[]): number;
  /**
   * Allocates the element-command block of the map at `fd` (keys of `keySize`, values of
   * `valueSize` bytes): a header and key, next-key and value slots in memory the addon owns,
   * seen through `buffer` (external; freed by its finalizer). `run()` runs the element command
   * in the header (`u32 cmd` at 0: LOOKUP, UPDATE, DELETE, GET_NEXT_KEY or LOOKUP_AND_DELETE;
   * `u32 pointers` at 4; `u32 flags` at 8) with a `bpf_attr` built by the addon, and stores the
   * result or `-errno` as `i32` at 12; it throws a RangeError for a bad header or once the
   * buffer's memory is freed. Layout and safety argument: `crates/sys/src/elem.rs`; the TS side
   * is `MapElemBlock`.
   */
  mapElemBlock(fd: number, keySize: number, valueSize: number): { run: () => void; buffer: ArrayBuffer };
  /** The error a failed `syscall` with `errno` (1-4095) throws, returned instead of thrown. */
  sysError(errno: number, syscall: string): NativeError;
  /**
   * `perf_event_open(attr, pid, cpu, group_fd, flags)`; returns the new fd. `keepAlive` as for
   * {@link bpf} (e.g. the string buffer a kprobe/uprobe attr points to).
   */
  perfEventOpen(attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number, ...keepAlive: unknown[]): number;
  /** `ioctl(fd, request, arg)`: `arg` is an integer, or a buffer whose address is passed. */
  ioctl(fd: number, request: number, arg: number | Uint8Array): number;
  /**
   * `mmap(NULL, length, prot, flags, fd, offset)` returned as an external ArrayBuffer over the
   * mapping. It is detached by {@link munmap}; a dropped, still-mapped buffer is unmapped by its GC
   * finalizer.
   */
  mmap(fd: number, length: number, prot: number, flags: number, offset: number): ArrayBuffer;
  /**
   * Unmaps a buffer from {@link mmap} and detaches it, so stale views throw instead of faulting.
   * A detached buffer (already unmapped) is a no-op; any other buffer is a `TypeError`.
   */
  munmap(buffer: ArrayBuffer): void;
  /** `close(fd)`. Stops {@link pollStart} polls of `fd` first. `EINTR` counts as closed (Linux always releases the fd). */
  close(fd: number): void;
  /**
   * The user-space address of a buffer's first byte (includes `byteOffset`), for pointer fields
   * of `bpf_attr`. The caller keeps the buffer referenced while the kernel may use the address
   * (pass it as a `keepAlive` argument of {@link bpf}). Small typed arrays start out inside the
   * JS heap, where the GC moves them: this call first gives the buffer a fixed off-heap store,
   * so the address stays valid for the buffer's lifetime. Empty buffers may have address 0.
   */
  address(buffer: ArrayBuffer | ArrayBufferView): bigint;
  /**
   * Watches `fd` on the event loop (a libuv poll handle): `callback` runs on the JS thread each
   * time the fd is ready for any of `events` ({@link PollEvents} bits), until {@link pollStop}.
   * Waiting never blocks the event loop and keeps the process alive while active (also when the
   * handle itself is dropped: like a socket, an active poll runs until stopped).
   *
   * - `fd` is switched to O_NONBLOCK (libuv does this); one active poll per fd (else `EEXIST`);
   *   regular files cannot be polled (`EPERM`).
   * - On an error condition (`EPOLLERR`, e.g. a pipe whose reader is gone) libuv stops the poll
   *   and `callback` receives `DISCONNECT` and, as second argument, the error (libuv reports it
   *   as `EBADF`). Call {@link pollStop} afterwards as usual.
   * - {@link close} of a polled fd stops its polls first, so a reused fd number is never watched.
   *   Closing a polled fd by other means (`fs.closeSync`) is not detected: stop the poll first.
   * - A callback that throws raises an ordinary uncaught exception (`process.on('uncaughtException')`).
   */
  pollStart(fd: number, events: number, callback: (events: number, error?: NativeError) => void): PollHandle;
  /** Stops and frees a poll handle. Idempotent. */
  pollStop(handle: PollHandle): void;
  /** `epoll_create1(EPOLL_CLOEXEC)`. */
  epollCreate(): number;
  /** `epoll_ctl(epfd, op, fd, {events, data: u64 = data})`. */
  epollCtl(epfd: number, op: number, fd: number, events: number, data: number): void;
  /**
   * `epoll_wait(epfd, ..., maxEvents, timeoutMs)` on the calling thread: only use with timeout 0
   * (or on a worker). Returns the ready entries' `data` and `events`.
   */
  epollWait(epfd: number, maxEvents: number, timeoutMs: number): Array<{ data: number; events: number }>;
  /** `mount(source, target, fstype, flags, data)`. */
  mount(source: string, target: string, fstype: string, flags: number, data: string | null): void;
  /** `umount2(target, flags)`. */
  umount(target: string, flags: number): void;
  /** `socket(domain, type, protocol)`; returns the fd. */
  socket(domain: number, type: number, protocol: number): number;
  /** `setsockopt(fd, level, name, value, value.byteLength)`. */
  setsockopt(fd: number, level: number, name: number, value: Uint8Array): void;
  /** `read(fd, buf, buf.byteLength)`; returns the number of bytes read (0 at EOF). */
  read(fd: number, buffer: Uint8Array): number;
  /** `write(fd, buf, buf.byteLength)`; returns the number of bytes written. */
  write(fd: number, buffer: Uint8Array): number;
  /** `fcntl(fd, F_DUPFD_CLOEXEC, 0)`. */
  dup(fd: number): number;
  /** `if_nametoindex(name)`; throws ENODEV when missing. */
  ifNameToIndex(name: string): number;
  /** `sysconf(_SC_PAGESIZE)`. */
  pageSize(): number;
}

/**
 * The addon is missing or older than this TypeScript: thrown by {@link native} with the path and
 * the missing functions, so the fix (rebuild it) is in the message instead of a TypeError later.
 */
export class NativeAddonError extends BpfTsError {
  constructor(
    message: string,
    /** The addon file that was loaded, if one was found. */
    readonly path?: string,
    /** Functions this TypeScript calls that the addon does not export. */
    readonly missing: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Every function of {@link NativeAddon}; the type below fails to compile when one is left out. */
export const NATIVE_FUNCTIONS = [
  'bpf', 'bpfErrno', 'mapElemBlock', 'sysError', 'perfEventOpen', 'ioctl', 'mmap', 'munmap', 'close', 'address',
  'pollStart', 'pollStop', 'epollCreate', 'epollCtl', 'epollWait', 'mount', 'umount', 'socket',
  'setsockopt', 'read', 'write', 'dup', 'ifNameToIndex', 'pageSize',
] as const satisfies ReadonlyArray<keyof NativeAddon>;
const everyFunctionListed: [Exclude<keyof NativeAddon, (typeof NATIVE_FUNCTIONS)[number]>] extends [never] ? true : never = true;
void everyFunctionListed;

function findAddon(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'native', 'bpf-ts-sys.node');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new NativeAddonError("bpf-ts native addon not built: run 'npm install' (or 'npm run build:native') in the bpf-ts checkout");
    }
    dir = parent;
  }
}

/** Loads the addon at `path`, refusing one built from older crates/sys sources. */
export function loadAddon(path: string): NativeAddon {
  const addon = createRequire(import.meta.url)(path) as Partial<Record<string, unknown>>;
  const missing = NATIVE_FUNCTIONS.filter((name) => typeof addon[name] !== 'function');
  if (missing.length > 0) {
    throw new NativeAddonError(
      `bpf-ts native addon ${path} is older than this bpf-ts (it lacks ${missing.join(', ')}): run 'npm run build:native'`,
      path,
      missing,
    );
  }
  return addon as unknown as NativeAddon;
}

let loaded: NativeAddon | undefined;

/** The addon, loaded on first use. */
export function native(): NativeAddon {
  if (loaded === undefined) {
    loaded = loadAddon(findAddon());
  }
  return loaded;
}
