import { HistogramError } from './errors.js';

/** One bucket's count: a `number` (a safe non-negative integer) or a `bigint` (a u64 counter). */
export type HistogramCount = number | bigint;

/** `counts` as bigints, refusing what is not a non-negative integer (the message names the index). */
export function countsAsBigInt(counts: readonly HistogramCount[]): bigint[] {
  return counts.map((c, i) => {
    if (typeof c === 'bigint') {
      if (c < 0n) throw new HistogramError(`count at index ${i} is negative (${c})`);
      return c;
    }
    if (!Number.isSafeInteger(c) || c < 0) throw new HistogramError(`count at index ${i} is not a non-negative safe integer (${c}); pass a bigint for counts above 2^53`);
    return BigInt(c);
  });
}
