/**
 * bcc's `bpf_log2l(v)`: the log2 histogram slot a value falls in, `floor(log2(v)) + 1` for
 * `v >= 1` and 1 for 0 (bcc's helper returns `bpf_log2(0) + 1`), so slot `i` holds the values
 * `2^(i-1) .. 2^i - 1` and slot 1 holds 0 and 1. BPF programs that fill a histogram for
 * {@link formatLog2Histogram} compute the same thing in C (see docs/histogram.md).
 *
 * @example
 * ```ts
 * log2Slot(0); // 1
 * log2Slot(1); // 1
 * log2Slot(1000n); // 10 (512 -> 1023)
 * ```
 */
export function log2Slot(value: number | bigint): number {
  const v = BigInt(value);
  if (v < 0n) throw new RangeError(`log2Slot: ${value} is negative`);
  if (v <= 1n) return 1;
  return v.toString(2).length;
}

/**
 * Accumulates values into log2 slots as a BPF program would with `bpf_log2l`, for tests and for
 * histograms built in user space.
 *
 * @example
 * ```ts
 * formatLog2Histogram(log2Counts([3, 5, 900]));
 * ```
 */
export function log2Counts(values: Iterable<number | bigint>, slots = 65): bigint[] {
  const counts = new Array<bigint>(slots).fill(0n);
  for (const v of values) {
    const slot = log2Slot(v);
    if (slot >= counts.length) counts.length = slot + 1;
    counts[slot] = (counts[slot] ?? 0n) + 1n;
  }
  return Array.from(counts, (c) => c ?? 0n);
}

/**
 * The values bcc labels log2 slot `i` with: `2^(i-1) .. 2^i - 1`, and `0 .. 1` for slot 1 (bcc
 * lowers the bound when it equals the upper one).
 *
 * @example
 * ```ts
 * log2SlotRange(1); // { low: 0n, high: 1n }
 * log2SlotRange(4); // { low: 8n, high: 15n }
 * ```
 */
export function log2SlotRange(slot: number): { low: bigint; high: bigint } {
  let low = (1n << BigInt(slot)) >> 1n;
  const high = (1n << BigInt(slot)) - 1n;
  if (low === high) low -= 1n;
  return { low, high };
}
