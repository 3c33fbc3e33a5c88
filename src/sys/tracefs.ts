import { existsSync, readFileSync } from 'node:fs';
import { BpfTsError } from '../errors/index.js';
import { native } from './native.js';
import { toSysError } from './errors.js';

/** Where tracefs lives on current kernels (Linux 4.1+). */
export const TRACEFS = '/sys/kernel/tracing';
/** The old place: `tracing/` inside a mounted debugfs. */
const DEBUGFS_TRACING = '/sys/kernel/debug/tracing';

/**
 * tracefs is missing and cannot be mounted, or a file in it cannot be used.
 *
 * @example
 * ```ts
 * try { tracefsRoot() } catch (e) { if (e instanceof TracefsError) console.error(e.message) }
 * ```
 */
export class TracefsError extends BpfTsError {
  constructor(
    message: string,
    /** The tracefs path involved, when there is one. */
    readonly path?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The mount points of tracefs listed in a `/proc/mounts`-style text, in order (octal escapes
 * such as `\040` decoded).
 *
 * @example
 * ```ts
 * tracefsMounts('nodev /sys/kernel/tracing tracefs rw 0 0\n'); // ['/sys/kernel/tracing']
 * ```
 */
export function tracefsMounts(mounts: string): string[] {
  const out: string[] = [];
  for (const line of mounts.split('\n')) {
    const f = line.split(' ');
    if (f[2] === 'tracefs' && f[1] !== undefined) out.push(f[1].replace(/\\040/g, ' '));
  }
  return out;
}

/**
 * Mounts tracefs at `path` (an existing directory), as `mount -t tracefs nodev PATH` does.
 * Throws {@link TracefsError} saying what to run when the mount fails.
 *
 * @example
 * ```ts
 * mountTracefs('/sys/kernel/tracing');
 * ```
 */
export function mountTracefs(path: string): void {
  try {
    native().mount('nodev', path, 'tracefs', 0, null);
  } catch (e) {
    const err = toSysError(e, 'mount', `mount -t tracefs nodev ${path}`);
    throw new TracefsError(
      `tracefs is not mounted and mounting it at ${path} failed (${err.code}); as root, run: mount -t tracefs nodev ${path}`,
      path,
      { cause: err },
    );
  }
}

/**
 * The tracefs directory: an existing mount (preferring `/sys/kernel/tracing`, then debugfs'
 * `tracing/`), else tracefs freshly mounted at `/sys/kernel/tracing` when root (a fresh machine
 * has none). Otherwise a {@link TracefsError} says what to run.
 *
 * @example
 * ```ts
 * const pipe = `${tracefsRoot()}/trace_pipe`;
 * ```
 */
export function tracefsRoot(): string {
  let mounts = '';
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    // No procfs: only the well-known paths are left.
  }
  const found = tracefsMounts(mounts);
  if (found.includes(TRACEFS)) return TRACEFS;
  if (found.includes(DEBUGFS_TRACING) || existsSync(`${DEBUGFS_TRACING}/trace_pipe`)) return DEBUGFS_TRACING;
  if (found[0] !== undefined) return found[0];
  const manual = `mount it with 'mount -t tracefs nodev ${TRACEFS}' as root`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new TracefsError(`tracefs is not mounted and mounting it needs root: ${manual}`, TRACEFS);
  }
  if (!existsSync(TRACEFS)) {
    throw new TracefsError(`tracefs is not mounted and ${TRACEFS} does not exist (kernel without CONFIG_TRACING?): ${manual}`, TRACEFS);
  }
  mountTracefs(TRACEFS);
  return TRACEFS;
}
