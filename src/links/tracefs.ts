import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotSupportedError } from '../sys/errors.js';
import { TracefsError, tracefsRoot } from '../sys/tracefs.js';

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
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new TracefsError(`cannot read ${path}: permission denied (tracefs is readable by root only: run as root)`, path, { cause: e });
    }
    throw new NotSupportedError(`tracepoint ${category}/${name}`, `tracepoint ${category}/${name} does not exist on this kernel (${path} missing)`, { cause: e });
  }
  const id = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(id) || id < 0) throw new TracefsError(`${path}: not a tracepoint id: '${text.trim()}'`, path);
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
