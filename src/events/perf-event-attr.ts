/**
 * `struct perf_event_attr` for the `PERF_COUNT_SW_BPF_OUTPUT` events behind a perf buffer, and
 * the `perf_event_mmap_page` offsets a reader needs (include/uapi/linux/perf_event.h).
 */
import { AttrWriter } from '../sys/attr.js';

/** `PERF_TYPE_SOFTWARE`. */
export const PERF_TYPE_SOFTWARE = 1;
/** `PERF_COUNT_SW_BPF_OUTPUT`. */
export const PERF_COUNT_SW_BPF_OUTPUT = 10;
/** `PERF_SAMPLE_RAW`. */
export const PERF_SAMPLE_RAW = 1 << 10;
/** `PERF_SAMPLE_TIME`: samples start with the perf clock's u64 time. */
export const PERF_SAMPLE_TIME = 1 << 2;
/** `PERF_FLAG_FD_CLOEXEC`. */
export const PERF_FLAG_FD_CLOEXEC = 8;
/** `PERF_EVENT_IOC_ENABLE` (`_IO('$', 0)`). */
export const PERF_EVENT_IOC_ENABLE = 0x2400;
/** `PERF_RECORD_LOST`: `{ header, u64 id, u64 lost }`. */
export const PERF_RECORD_LOST = 2;
/** `PERF_RECORD_SAMPLE`: with `PERF_SAMPLE_RAW` only, `{ header, u32 size, u8 data[size] }`. */
export const PERF_RECORD_SAMPLE = 9;
/** `sizeof(struct perf_event_header)`. */
export const PERF_HEADER_SIZE = 8;

/** Offsets in `struct perf_event_mmap_page` (the first mmapped page). */
export const PerfMmapPage = {
  dataHead: 1024,
  dataTail: 1032,
  dataOffset: 1040,
  dataSize: 1048,
} as const;

/** `PERF_ATTR_SIZE_VER0`: every field a BPF output event uses is in the first 64 bytes. */
const ATTR_SIZE = 64;
const FLAG_WATERMARK = 1n << 14n;

/** How a BPF output event wakes its reader. */
export interface PerfWakeup {
  /** Wake after this many samples (`wakeup_events`); default 1. */
  readonly events?: number;
  /** Wake when this many bytes are waiting instead (`watermark` + `wakeup_watermark`). */
  readonly watermarkBytes?: number;
}

/**
 * Encodes the attr of libbpf's perf buffer events: software `BPF_OUTPUT`, `sample_period` 1,
 * raw samples (with `sampleTime`, preceded by their time, as bpftool's `map event_pipe` asks),
 * woken per `wakeup` (one sample by default).
 *
 * @example
 * ```ts
 * const fd = native().perfEventOpen(encodeBpfOutputAttr({ watermarkBytes: 4096 }), -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
 * ```
 */
export function encodeBpfOutputAttr(wakeup: PerfWakeup = {}, sampleTime = false): Uint8Array {
  const w = new AttrWriter(ATTR_SIZE)
    .u32(0, PERF_TYPE_SOFTWARE)
    .u32(4, ATTR_SIZE)
    .u64(8, PERF_COUNT_SW_BPF_OUTPUT)
    .u64(16, 1)
    .u64(24, PERF_SAMPLE_RAW | (sampleTime ? PERF_SAMPLE_TIME : 0));
  if (wakeup.watermarkBytes !== undefined) {
    w.u64(40, FLAG_WATERMARK).u32(48, wakeup.watermarkBytes);
  } else {
    w.u32(48, wakeup.events ?? 1);
  }
  return w.bytes;
}
