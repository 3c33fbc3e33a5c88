/**
 * bcc's `_stars(val, val_max, width)`: `min(width, val * width / val_max)` stars, where the
 * quotient is Python 3's true division (the exact quotient rounded to the nearest double) and
 * then truncated. Computed exactly on bigints; the rounding only matters for counts above
 * 2^53, where a quotient a hair below an integer rounds up to it (so `2^64-2` against a maximum
 * of `2^64-1` gets the full bar in bcc, and here). `val > val_max` (never the case when val_max
 * is the maximum) turns the last star into `+`, as bcc does.
 */
export function starBar(val: bigint, valMax: bigint, width: number): string {
  if (valMax <= 0n || val <= 0n) return '';
  const w = BigInt(width);
  const num = val * w;
  let n = num / valMax; // floor of the exact quotient
  // The double nearest to num/valMax is n+1 when the quotient lies within half an ulp below
  // n+1: ulps just below k = n+1 are 2^(e-52) with 2^e < k <= 2^(e+1); ties go to k (its
  // mantissa is even).
  if (num % valMax !== 0n) {
    const k = n + 1n;
    const e = BigInt(bitLength(k - 1n) - 1);
    const gap = k * valMax - num; // (k - quotient) * valMax
    const shift = 53n - e;
    if (shift >= 0n ? gap << shift <= valMax : gap <= valMax >> -shift) n = k;
  }
  const count = Number(n < w ? n : w);
  let text = '*'.repeat(count);
  if (val > valMax) text = `${text.slice(0, -1)}+`;
  return text;
}

/** Bits needed for a positive bigint (0 for 0). */
function bitLength(v: bigint): number {
  return v <= 0n ? 0 : v.toString(2).length;
}
