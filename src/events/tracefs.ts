/**
 * Finding (and when needed mounting) tracefs, where `trace_pipe` lives.
 */
import { existsSync, readFileSync } from 'node:fs';
import { native, toSysError } from '../sys/index.js';
import { TracefsError } from './errors.js';

/** Where tracefs is mounted on current systems. */
export const DEFAULT_TRACEFS = '/sys/kernel/tracing';
/** The legacy location, inside debugfs. */
const DEBUGFS_TRACING = '/sys/kernel/debug/tracing';

/**
 * The mount points of tracefs listed in a `/proc/mounts`-style text, in order.
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
 * Mounts tracefs at `path` (an existing directory). Throws {@link TracefsError} saying what to
 * do when the mount fails (for example without root).
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
 * The tracefs directory: an existing mount (`/proc/mounts`, or tracing inside a mounted debugfs),
 * else tracefs freshly mounted at `/sys/kernel/tracing` (needs root). Throws
 * {@link TracefsError} when neither works.
 *
 * @example
 * ```ts
 * const dir = ensureTracefs(); // '/sys/kernel/tracing'
 * ```
 */
export function ensureTracefs(): string {
  let mounts = '';
  try {
    mounts = readFileSync('/proc/mounts', 'utf8');
  } catch {
    // No procfs: fall through to the well-known paths.
  }
  const found = tracefsMounts(mounts)[0];
  if (found !== undefined) return found;
  if (existsSync(`${DEBUGFS_TRACING}/trace_pipe`)) return DEBUGFS_TRACING;
  if (!existsSync(DEFAULT_TRACEFS)) {
    throw new TracefsError(`tracefs is not available: ${DEFAULT_TRACEFS} does not exist (is CONFIG_TRACING on?)`, DEFAULT_TRACEFS);
  }
  mountTracefs(DEFAULT_TRACEFS);
  return DEFAULT_TRACEFS;
}
