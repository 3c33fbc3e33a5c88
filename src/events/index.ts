/**
 * Event buffers: ring buffer, ring buffer set, user ring buffer, perf buffer and trace_pipe
 * readers. Imports src/sys, src/btf, src/maps and src/errors only.
 */
export { EventBufferError, RecordDecodeError, type EventBufferContext } from './errors.js';
export { ReadinessWaiter, type WaitOptions, type WaitOutcome } from './readiness-waiter.js';
export { EventReader, type RecordCallback, type RecordDecoder, type RecordIteratorOptions } from './event-reader.js';
export { RINGBUF_BUSY_BIT, RINGBUF_DISCARD_BIT, RINGBUF_HDR_SZ, ringRecordSize } from './ring-layout.js';
export { RingBufferReader, type RingBufferSource } from './ring-buffer-reader.js';
export { RingBufferSet } from './ring-buffer-set.js';
export { PerfBufferReader, type PerfBufferOptions, type PerfEventArray, type PerfSampleInfo } from './perf-buffer-reader.js';
export {
  encodeBpfOutputAttr,
  PerfMmapPage,
  PERF_RECORD_LOST,
  PERF_RECORD_SAMPLE,
  type PerfWakeup,
} from './perf-event-attr.js';
export { UserRingBuffer } from './user-ring-buffer.js';
export { TracePipeReader, parseTraceLine, type TraceLine, type TracePipeOptions } from './trace-pipe-reader.js';
