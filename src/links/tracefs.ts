import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isNativeError, native, NotSupportedError } from '../sys/index.js';
import { BpfTsError } from '../errors/index.js';

/** Where tracefs lives on current kernels (Linux 4.1+); debugfs' `tracing/` is the old place. */
export const TRACEFS = '/sys/kernel/tracing';
const DEBUGFS_TRACING = '/sys/kernel/debug/tracing';

/**
 * No tracefs, and it could not be mounted (not root, or the mount failed).
 *
 * @example
 * ```ts
 * try { tracefsRoot() } catch (e) { if (e instanceof TracefsError) console.error(e.message) }
 * ```
 */
export class TracefsError extends BpfTsError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

function mountedTracefs(): string | undefined {
  let mounts: string;
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return undefined;
  }
  const dirs = new Set<string>();
  for (const line of mounts.split('\n')) {
    const [, dir, fstype] = line.split(' ');
    if (fstype === 'tracefs' && dir !== undefined) dirs.add(dir);
  }
  if (dirs.has(TRACEFS)) return TRACEFS;
  if (dirs.has(DEBUGFS_TRACING)) return DEBUGFS_TRACING;
  return dirs.values().next().value;
}

/**
 * The tracefs mount point. A fresh machine often has none: as root it is mounted at
 * `/sys/kernel/tracing` (as `mount -t tracefs nodev /sys/kernel/tracing` would); otherwise a
 * {@link TracefsError} says what to run.
 *
 * @example
 * ```ts
 * const id = readFileSync(`${tracefsRoot()}/events/syscalls/sys_enter_getpid/id`, 'utf8');
 * ```
 */
export function tracefsRoot(): string {
  const found = mountedTracefs();
  if (found !== undefined) return found;
  const manual = `mount it with 'mount -t tracefs nodev ${TRACEFS}' as root`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new TracefsError(`tracefs is not mounted and mounting it needs root: ${manual}`);
  if (!existsSync(TRACEFS)) throw new TracefsError(`tracefs is not mounted and ${TRACEFS} does not exist (kernel without CONFIG_TRACING?): ${manual}`);
  try {
    native().mount('nodev', TRACEFS, 'tracefs', 0, null);
  } catch (e) {
    const reason = isNativeError(e) ? e.code : String(e);
    throw new TracefsError(`tracefs is not mounted and mounting it at ${TRACEFS} failed (${reason}): ${manual}`, { cause: e });
  }
  return TRACEFS;
}

/**
 * The numeric id of a tracepoint or a dynamic probe event (`events/<category>/<name>/id`), the
 * `config` of a `PERF_TYPE_TRACEPOINT` perf event.
 *
 * @example
 * ```ts
 * const id = traceEventId('sched', 'sched_switch'); // config of a PERF_TYPE_TRACEPOINT event
 * ```
 */
export function traceEventId(category: string, name: string): number {
  const root = tracefsRoot();
  const path = join(root, 'events', category, name, 'id');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new NotSupportedError(`tracepoint ${category}/${name}`, `tracepoint ${category}/${name} does not exist on this kernel (${path} missing)`, { cause: e });
  }
  const id = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(id) || id < 0) throw new TracefsError(`${path}: not a tracepoint id: '${text.trim()}'`);
  return id;
}

/** A PMU's dynamic type and its `retprobe` config bit, from `/sys/bus/event_source/devices/<pmu>`. */
export interface ProbePmu {
  readonly type: number;
  /** Bit number of `config:N` in `format/retprobe`. */
  readonly retprobeBit: number;
}

/**
 * The `kprobe`/`uprobe` PMU (Linux 4.17+), or `undefined` when the kernel has none.
 *
 * @example
 * ```ts
 * probePmu('uprobe'); // { type: 7, retprobeBit: 0 } where the uprobe PMU exists
 * ```
 */
export function probePmu(name: 'kprobe' | 'uprobe'): ProbePmu | undefined {
  const dir = `/sys/bus/event_source/devices/${name}`;
  let type: number;
  try {
    type = Number.parseInt(readFileSync(`${dir}/type`, 'utf8').trim(), 10);
  } catch {
    return undefined;
  }
  let retprobeBit = 0;
  try {
    const m = /config:(\d+)/.exec(readFileSync(`${dir}/format/retprobe`, 'utf8'));
    if (m?.[1] !== undefined) retprobeBit = Number(m[1]);
  } catch {
    // Old kernels without the format file use bit 0.
  }
  return { type, retprobeBit };
}
