/** Summaries of timing samples. Medians, not means: the shared machine's outliers are one-sided. */

/** The median of `xs` (NaN for none). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The spread of `xs` as `[10th percentile, 90th percentile]`, for the noise column. */
export function spread(xs: readonly number[]): readonly [number, number] {
  if (xs.length === 0) return [NaN, NaN];
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))] as number;
  return [at(0.1), at(0.9)];
}
