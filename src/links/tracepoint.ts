import { NotSupportedError } from '../sys/errors.js';
import { attachFailure } from './link-create.js';
import { programLabel } from './program.js';
import type { Link } from './link.js';
import { attachToPerfEvent, perfEventOpen, type PerfEventAttachOptions } from './perf-event-open.js';
import type { AttachableProgram } from './program.js';
import { traceEventId } from './tracefs.js';

/** `PERF_TYPE_TRACEPOINT`. */
const PERF_TYPE_TRACEPOINT = 2;

/** Options of {@link attachTracepoint}. */
export interface TracepointOptions extends PerfEventAttachOptions {
  /** Only this process (default: every process, `-1`). */
  readonly pid?: number;
}

/**
 * Attaches a `BPF_PROG_TYPE_TRACEPOINT` program to `category/name`: the event's id from tracefs
 * (mounted when missing and root), one system-wide `PERF_TYPE_TRACEPOINT` perf event, then a
 * `bpf_link` on it (Linux 5.15+) or `PERF_EVENT_IOC_SET_BPF` (4.7+). SEC names: `tracepoint/<category>/<name>`,
 * `tp/<category>/<name>`.
 *
 * @example
 * ```ts
 * using link = attachTracepoint(obj.program('count_getpid')!, 'syscalls', 'sys_enter_getpid');
 * ```
 */
export function attachTracepoint(program: AttachableProgram, category: string, name: string, options: TracepointOptions = {}): Link {
  const target = `${category}/${name}`;
  let perf;
  try {
    const id = traceEventId(category, name);
    // A tracepoint perf event with pid -1 must name a CPU, but BPF programs on tracepoint events
    // run for hits on every CPU (perf_trace_run_bpf_submit ignores the event's CPU), so one
    // event on CPU 0 covers the system, as libbpf does.
    const pid = options.pid ?? -1;
    perf = perfEventOpen({ type: PERF_TYPE_TRACEPOINT, config: id }, pid, pid === -1 ? 0 : -1, `tracepoint ${target}`);
  } catch (e) {
    if (e instanceof NotSupportedError) throw new NotSupportedError(e.feature, `program '${programLabel(program)}' -> tracepoint ${target}: ${e.message}`, { cause: e });
    throw attachFailure(e, program, `tracepoint ${target}`);
  }
  return attachToPerfEvent(program, perf, 'tracepoint', target, options);
}

/**
 * Splits `category/name` (the SEC() target of `tracepoint/...`).
 *
 * @example
 * ```ts
 * parseTracepointTarget('sched/sched_switch'); // { category: 'sched', name: 'sched_switch' }
 * ```
 */
export function parseTracepointTarget(target: string): { category: string; name: string } | undefined {
  const slash = target.indexOf('/');
  if (slash <= 0 || slash === target.length - 1) return undefined;
  return { category: target.slice(0, slash), name: target.slice(slash + 1) };
}
