/**
 * The shared-memory layout of `BPF_MAP_TYPE_RINGBUF` and `BPF_MAP_TYPE_USER_RINGBUF`
 * (kernel/bpf/ringbuf.c): page 0 holds `consumer_pos`, page 1 `producer_pos`, then the data
 * area of `max_entries` bytes, mapped twice back to back so a record that wraps the end reads as
 * one contiguous range. Records start 8-byte aligned with an 8-byte header: `u32 len` (with the
 * busy and discard bits) and `u32 pg_off`.
 */
import { endianness } from 'node:os';
import { native } from '../sys/native.js';

/** `BPF_RINGBUF_BUSY_BIT`: reserved, not yet submitted or discarded. */
export const RINGBUF_BUSY_BIT = 0x80000000;
/** `BPF_RINGBUF_DISCARD_BIT`: discarded; skip it. */
export const RINGBUF_DISCARD_BIT = 0x40000000;
/** `BPF_RINGBUF_HDR_SZ`. */
export const RINGBUF_HDR_SZ = 8;
/** The length bits of a header word. */
export const RINGBUF_LEN_MASK = 0x3fffffff;

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;

/**
 * Index of the low 32-bit half of a u64 in a `Uint32Array` (0 on little-endian machines). Both
 * positions only grow and readers need only their difference, which is below the ring size
 * (< 2^32): the low halves give it exactly, read with one atomic 32-bit load and no BigInt.
 */
export const LOW_WORD = endianness() === 'LE' ? 0 : 1;

/**
 * Whether record header words must be read with `Atomics.load` (an acquire on weakly ordered
 * CPUs). On x86-64 a plain typed-array load is enough and about 3x faster in V8: the CPU keeps
 * loads in order (TSO), and V8 keeps typed-array loads on its effect chain, so the header load is
 * neither moved after the payload loads in the callback nor merged with an earlier load of the
 * same word (each pass first does an `Atomics.load` of the producer position, which V8 treats as
 * a barrier, and within a pass every header is at a new address).
 */
export const ORDERED_HEADER_LOADS = process.arch !== 'x64' && process.arch !== 'ia32';

/**
 * Bytes a record of `length` payload bytes occupies: header plus payload, rounded up to 8.
 *
 * @example
 * ```ts
 * ringRecordSize(64); // 72
 * ```
 */
export function ringRecordSize(length: number): number {
  return (length + RINGBUF_HDR_SZ + 7) & ~7;
}

/** The two mappings of a ring (consumer page; producer page + doubled data area). */
export interface RingMappings {
  readonly consumer: ArrayBuffer;
  readonly producerAndData: ArrayBuffer;
  readonly pageSize: number;
}

/**
 * Maps a ring buffer map's pages the way the kernel allows: for a ring buffer only the consumer
 * page is writable, for a user ring buffer only the producer page and data area are.
 */
export function mapRingPages(fd: number, size: number, userProducer: boolean): RingMappings {
  const sys = native();
  const pageSize = sys.pageSize();
  const consumer = sys.mmap(fd, pageSize, userProducer ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, 0);
  try {
    const producerAndData = sys.mmap(fd, pageSize + 2 * size, userProducer ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, pageSize);
    return { consumer, producerAndData, pageSize };
  } catch (e) {
    sys.munmap(consumer);
    throw e;
  }
}

/** Unmaps what {@link mapRingPages} mapped (idempotent: a detached buffer is skipped). */
export function unmapRingPages(m: RingMappings): void {
  const sys = native();
  sys.munmap(m.producerAndData);
  sys.munmap(m.consumer);
}
