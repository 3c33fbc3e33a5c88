import { AttrWriter } from '../sys/attr.js';
import { toSysError } from '../sys/errors.js';
import { OwnedFd } from '../sys/fd.js';
import { native } from '../sys/native.js';
import { AttachType } from '../sys/uapi.js';
import { linkCreate, errnoCode, attachFailure, LinkCreateLayout } from './link-create.js';
import { Link } from './link.js';
import { programLabel, type AttachableProgram } from './program.js';

/** `struct perf_event_attr` offsets used here (`PERF_ATTR_SIZE_VER7` = 128 bytes, Linux 5.x). */
export const PerfEventAttrLayout = {
  SIZE: 128,
  type: 0,
  size: 4,
  config: 8,
  samplePeriod: 16,
  sampleType: 24,
  readFormat: 32,
  flags: 40,
  wakeupEvents: 48,
  bpType: 52,
  config1: 56,
  config2: 64,
} as const;

/** Bits of the `perf_event_attr` flags word (offset 40). */
export const PerfAttrFlag = {
  DISABLED: 1n << 0n,
  INHERIT: 1n << 1n,
  EXCLUDE_KERNEL: 1n << 5n,
  EXCLUDE_HV: 1n << 6n,
  FREQ: 1n << 10n,
} as const;

/** `perf_event_open` flags. */
const PERF_FLAG_FD_CLOEXEC = 8;
/** `PERF_EVENT_IOC_ENABLE` = `_IO('$', 0)`. */
export const PERF_EVENT_IOC_ENABLE = 0x2400;
/** `PERF_EVENT_IOC_DISABLE` = `_IO('$', 1)`. */
export const PERF_EVENT_IOC_DISABLE = 0x2401;
/** `PERF_EVENT_IOC_SET_BPF` = `_IOW('$', 8, __u32)` (Linux 4.1+). */
export const PERF_EVENT_IOC_SET_BPF = 0x40042408;

/** The fields of `perf_event_attr` the attach functions set. */
export interface PerfEventAttr {
  /** `type`: `PERF_TYPE_*` or a dynamic PMU type from `/sys/bus/event_source/devices/X/type`. */
  readonly type: number;
  readonly config?: bigint | number;
  /** `sample_period`, or `sample_freq` with `freq`. */
  readonly samplePeriod?: bigint | number;
  readonly freq?: boolean;
  /** `config1`: `kprobe_func`/`uprobe_path` pointer for probe PMUs. */
  readonly config1?: Uint8Array;
  /** `config2`: `kprobe_addr`/`probe_offset`. */
  readonly config2?: bigint | number;
  /** Extra flag bits ({@link PerfAttrFlag}). */
  readonly flags?: bigint;
}

/**
 * `perf_event_open(attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC)` with the event created disabled
 * (enabled once the program is attached, as libbpf does).
 *
 * @example
 * ```ts
 * using fd = perfEventOpen({ type: 1, config: 0, samplePeriod: 1000 }, -1, 0, 'cpu-clock cpu 0');
 * ```
 */
export function perfEventOpen(attr: PerfEventAttr, pid: number, cpu: number, what: string): OwnedFd {
  const L = PerfEventAttrLayout;
  const w = new AttrWriter(L.SIZE)
    .u32(L.type, attr.type)
    .u32(L.size, L.SIZE)
    .u64(L.config, attr.config ?? 0)
    .u64(L.samplePeriod, attr.samplePeriod ?? 1)
    .u64(L.flags, PerfAttrFlag.DISABLED | (attr.freq === true ? PerfAttrFlag.FREQ : 0n) | (attr.flags ?? 0n))
    .u64(L.config2, attr.config2 ?? 0);
  // wakeup_events 1: a tracing program runs on every hit regardless; this only affects readers.
  w.u32(L.wakeupEvents, 1);
  if (attr.config1 !== undefined) w.pointer(L.config1, attr.config1);
  try {
    return new OwnedFd(native().perfEventOpen(w.bytes, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC, attr.config1), `perf event ${what}`);
  } catch (e) {
    throw toSysError(e, 'perf_event_open', `perf_event_open (${what})`);
  }
}

/** Options of {@link attachToPerfEvent}. */
export interface PerfEventAttachOptions {
  /** `bpf_cookie` read by `bpf_get_attach_cookie()` (bpf_link only, Linux 5.15+). */
  readonly cookie?: bigint;
  /** Use `PERF_EVENT_IOC_SET_BPF` even when `bpf_link` is available (no pin/info). */
  readonly forceIoctl?: boolean;
}

/**
 * Attaches a program to an opened perf event (tracepoint, kprobe, uprobe or sampling event): a
 * `bpf_link` via `BPF_LINK_CREATE` with `BPF_PERF_EVENT` (Linux 5.15+), else the legacy
 * `PERF_EVENT_IOC_SET_BPF` ioctl; then `PERF_EVENT_IOC_ENABLE`. The returned link owns `perf`
 * (and runs `cleanups` after closing it).
 *
 * @example
 * ```ts
 * using link = attachToPerfEvent(prog, perfEventOpen({ type: 2, config: id }, -1, 0, 'tp'), 'tracepoint', 'sched/sched_switch');
 * ```
 */
export function attachToPerfEvent(
  program: AttachableProgram,
  perf: OwnedFd,
  kind: string,
  target: string,
  options: PerfEventAttachOptions = {},
  cleanups: ReadonlyArray<() => void> = [],
): Link {
  const description = `${kind} ${target}`;
  let linkFd: OwnedFd | undefined;
  try {
    if (options.forceIoctl !== true) {
      try {
        linkFd = linkCreate({
          program,
          target: perf.fd,
          attachType: AttachType.PERF_EVENT,
          description,
          extra: (w) => w.u64(LinkCreateLayout.perfEventCookie, options.cookie ?? 0n),
        });
      } catch (e) {
        // EINVAL: a kernel before 5.15 does not know BPF_PERF_EVENT links; fall back to the ioctl.
        if (errnoCode(e) !== 'EINVAL' || options.cookie !== undefined) throw e;
      }
    }
    if (linkFd === undefined) {
      try {
        native().ioctl(perf.fd, PERF_EVENT_IOC_SET_BPF, program.fd);
      } catch (e) {
        throw attachFailure(toSysError(e, 'ioctl', `PERF_EVENT_IOC_SET_BPF`), program, description);
      }
    }
    try {
      native().ioctl(perf.fd, PERF_EVENT_IOC_ENABLE, 0);
    } catch (e) {
      throw attachFailure(toSysError(e, 'ioctl', 'PERF_EVENT_IOC_ENABLE'), program, description);
    }
  } catch (e) {
    linkFd?.close();
    perf.close();
    for (const c of [...cleanups].reverse()) {
      try {
        c();
      } catch {
        // The attach error is the one to report.
      }
    }
    throw e;
  }
  return new Link({
    kind,
    program: programLabel(program),
    target,
    ...(linkFd === undefined ? {} : { linkFd }),
    fds: [perf],
    cleanups,
    legacyReason: 'attached with PERF_EVENT_IOC_SET_BPF (perf_event bpf_links need Linux 5.15+)',
  });
}
