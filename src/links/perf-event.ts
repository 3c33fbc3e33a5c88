import { onlineCpus } from '../sys/cpus.js';
import { OwnedFd } from '../sys/fd.js';
import { attachFailure } from './link-create.js';
import { LinkGroup, type Link } from './link.js';
import { attachToPerfEvent, perfEventOpen, type PerfEventAttachOptions } from './perf-event-open.js';
import type { AttachableProgram } from './program.js';

/** `enum perf_type_id`. */
export const PerfType = { HARDWARE: 0, SOFTWARE: 1, TRACEPOINT: 2, HW_CACHE: 3, RAW: 4, BREAKPOINT: 5 } as const;
/** One of {@link PerfType}. */
export type PerfType = (typeof PerfType)[keyof typeof PerfType];

/** `enum perf_sw_ids`. */
export const PerfSwConfig = { CPU_CLOCK: 0, TASK_CLOCK: 1, PAGE_FAULTS: 2, CONTEXT_SWITCHES: 3, CPU_MIGRATIONS: 4, PAGE_FAULTS_MIN: 5, PAGE_FAULTS_MAJ: 6, ALIGNMENT_FAULTS: 7, EMULATION_FAULTS: 8, DUMMY: 9, BPF_OUTPUT: 10, CGROUP_SWITCHES: 11 } as const;

/** `enum perf_hw_id`. */
export const PerfHwConfig = { CPU_CYCLES: 0, INSTRUCTIONS: 1, CACHE_REFERENCES: 2, CACHE_MISSES: 3, BRANCH_INSTRUCTIONS: 4, BRANCH_MISSES: 5, BUS_CYCLES: 6 } as const;

/** Options of {@link attachPerfEvent}. */
export interface PerfEventOptions extends PerfEventAttachOptions {
  /** `PERF_TYPE_*` (or a dynamic PMU type). */
  readonly type: number;
  /** `config`: which event of the type ({@link PerfSwConfig}, {@link PerfHwConfig}...). */
  readonly config: number | bigint;
  /** Sample every N events... */
  readonly samplePeriod?: number | bigint;
  /** ...or N times a second (`freq`). With neither, every event is a sample (period 1). */
  readonly frequency?: number;
  /** CPUs to sample (default: every online CPU). */
  readonly cpus?: readonly number[];
  /** Only this process (default: all, `-1`). */
  readonly pid?: number;
}

/**
 * Attaches a `BPF_PROG_TYPE_PERF_EVENT` program to a sampling perf event on each CPU: one
 * `perf_event_open` per CPU, each with a `bpf_link` (Linux 5.15+) or `PERF_EVENT_IOC_SET_BPF`.
 * The program runs on every sample (overflow). Returns the links as one group.
 *
 * @example
 * ```ts
 * using group = attachPerfEvent(prog, { type: PerfType.SOFTWARE, config: PerfSwConfig.CPU_CLOCK, frequency: 99 });
 * ```
 */
export function attachPerfEvent(program: AttachableProgram, options: PerfEventOptions): LinkGroup {
  const cpus = options.cpus ?? onlineCpus();
  const freq = options.frequency !== undefined;
  const period = options.frequency ?? options.samplePeriod ?? 1;
  const what = `type ${options.type} config ${options.config}`;
  const links: Link[] = [];
  try {
    for (const cpu of cpus) {
      let perf: OwnedFd;
      try {
        perf = perfEventOpen({ type: options.type, config: options.config, samplePeriod: period, freq }, options.pid ?? -1, cpu, `${what} cpu ${cpu}`);
      } catch (e) {
        throw attachFailure(e, program, `perf_event ${what} cpu ${cpu}`);
      }
      links.push(attachToPerfEvent(program, perf, 'perf_event', `${what} cpu ${cpu}`, options));
    }
  } catch (e) {
    for (const l of links) l.close();
    throw e;
  }
  return new LinkGroup(links);
}

/**
 * Attaches a program to a perf event the caller opened (the link takes ownership of `perf`).
 *
 * @example
 * ```ts
 * using link = attachPerfEventFd(prog, new OwnedFd(native().perfEventOpen(attr, -1, 0, -1, 8)));
 * ```
 */
export function attachPerfEventFd(program: AttachableProgram, perf: OwnedFd, options: PerfEventAttachOptions = {}): Link {
  return attachToPerfEvent(program, perf, 'perf_event', `perf fd ${perf.fd}`, options);
}
