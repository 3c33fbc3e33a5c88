import { countsAsBigInt, type HistogramCount } from './counts.js';
import { log2SlotRange } from './slots.js';
import { starBar } from './stars.js';

/** Width of the star bar: bcc's `stars_max`. */
const STARS_MAX = 40;

/** Options of {@link formatLog2Histogram} and {@link formatLinearHistogram}. */
export interface HistogramFormatOptions {
  /** The value column's label (bcc's `val_type`): `usecs`, `kbytes`, ... Default `value`. */
  readonly valType?: string;
  /**
   * Skip the empty buckets before the first non-empty one (bcc's `strip_leading_zero`).
   * Trailing empty buckets are always cut (the last bucket printed is the last non-zero one).
   */
  readonly stripLeadingZero?: boolean;
}

/** Where the last non-zero bucket is (-1 when none) and the largest count. */
function scan(vals: readonly bigint[]): { idxMax: number; valMax: bigint } {
  let idxMax = -1;
  let valMax = 0n;
  vals.forEach((v, i) => {
    if (v > 0n) idxMax = i;
    if (v > valMax) valMax = v;
  });
  return { idxMax, valMax };
}

const left = (s: string | bigint | number, width: number): string => String(s).padEnd(width);
const right = (s: string | bigint | number, width: number): string => String(s).padStart(width);

/**
 * A log2 histogram as bcc's `print_log2_hist` prints it, as text (one `\n`-terminated line per
 * bucket; `''` when nothing would be printed).
 *
 * `counts[i]` is the count of bcc's slot `i` = `bpf_log2l(value)` (see {@link log2Slot}): slot
 * `i >= 1` covers `2^(i-1) .. 2^i - 1`, except slot 1 which bcc labels `0 -> 1`. Slot 0 is never
 * printed (bcc's loop starts at 1) but its count still sets the bar scale. Buckets after the last
 * non-zero one are not printed; nothing at all (not even the header) when no slot above 0 has a
 * count. When the last non-zero slot is above 32, the wide layout is used (20-digit ranges,
 * 20-star bars), as bcc does. Counts are numbers or bigints (u64 counters print exactly).
 *
 * @example
 * ```ts
 * process.stdout.write(formatLog2Histogram([0, 1, 0, 3], { valType: 'usecs' }));
 * //      usecs               : count     distribution
 * //          0 -> 1          : 1        |*************                           |
 * //          2 -> 3          : 0        |                                        |
 * //          4 -> 7          : 3        |****************************************|
 * ```
 */
export function formatLog2Histogram(counts: readonly HistogramCount[], options: HistogramFormatOptions = {}): string {
  const vals = countsAsBigInt(counts);
  const { idxMax, valMax } = scan(vals);
  const narrow = idxMax <= 32;
  const labelWidth = narrow ? 19 : 29;
  const numWidth = narrow ? 10 : 20;
  const stars = narrow ? STARS_MAX : STARS_MAX / 2;
  let out = '';
  if (idxMax > 0) out += `${narrow ? '     ' : '               '}${left(options.valType ?? 'value', labelWidth)} : count     distribution\n`;
  let strip = options.stripLeadingZero === true;
  for (let i = 1; i <= idxMax; i++) {
    const val = vals[i] ?? 0n;
    if (strip) {
      if (val === 0n) continue;
      strip = false;
    }
    const { low, high } = log2SlotRange(i);
    out += `${right(low, numWidth)} -> ${left(high, numWidth)} : ${left(val, 8)} |${left(starBar(val, valMax, stars), stars)}|\n`;
  }
  return out;
}

/**
 * A linear histogram as bcc's `print_linear_hist` prints it: bucket `i` is the value `i`, from 0
 * to the last non-zero bucket (nothing at all when every count is 0).
 *
 * @example
 * ```ts
 * process.stdout.write(formatLinearHistogram([2, 0, 4], { valType: 'queue' }));
 * //      queue         : count     distribution
 * //         0          : 2        |********************                    |
 * //         1          : 0        |                                        |
 * //         2          : 4        |****************************************|
 * ```
 */
export function formatLinearHistogram(counts: readonly HistogramCount[], options: HistogramFormatOptions = {}): string {
  const vals = countsAsBigInt(counts);
  const { idxMax, valMax } = scan(vals);
  let out = '';
  if (idxMax >= 0) out += `     ${left(options.valType ?? 'value', 13)} : count     distribution\n`;
  let strip = options.stripLeadingZero === true;
  for (let i = 0; i <= idxMax; i++) {
    const val = vals[i] ?? 0n;
    if (strip) {
      if (val === 0n) continue;
      strip = false;
    }
    out += `        ${left(i, 10)} : ${left(val, 8)} |${left(starBar(val, valMax, STARS_MAX), STARS_MAX)}|\n`;
  }
  return out;
}

/** One section of a per-key histogram: the section key and its buckets. */
export interface HistogramSection<K = unknown> {
  readonly key: K;
  readonly counts: readonly HistogramCount[];
}

/** Options of {@link formatSectionHistograms}. */
export interface SectionFormatOptions<K = unknown> extends HistogramFormatOptions {
  /** `log2` (default, bcc's `print_log2_hist`) or `linear` (`print_linear_hist`). */
  readonly kind?: 'log2' | 'linear';
  /** The label before ` = ` (bcc's `section_header`). Default `Bucket ptr`, as bcc. */
  readonly sectionHeader?: string;
  /** Formats a section key (bcc's `section_print_fn`). Default: strings as is, others with {@link formatSectionKey}. */
  readonly formatKey?: (key: K) => string;
  /** Orders the sections (bcc's `bucket_sort_fn`); default: the order given. */
  readonly sortKeys?: (keys: K[]) => K[];
}

/**
 * The default rendering of a section key: strings and numbers as they are, bigints in decimal,
 * byte arrays as hex, objects as JSON (bigints as decimal numbers).
 */
export function formatSectionKey(key: unknown): string {
  if (typeof key === 'string' || typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean') return String(key);
  if (key instanceof Uint8Array) return Buffer.from(key).toString('hex');
  return JSON.stringify(key, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
    return v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v;
  });
}

/**
 * Per-key histograms as bcc prints a histogram map whose key is a struct (`section`, `slot`):
 * for each section a blank line, `<sectionHeader> = <key>`, then that section's histogram.
 *
 * @example
 * ```ts
 * const text = formatSectionHistograms(
 *   [{ key: 'sda', counts: [0, 0, 5] }, { key: 'nvme0n1', counts: [0, 1] }],
 *   { sectionHeader: 'disk', valType: 'usecs' },
 * );
 * // "\ndisk = sda\n     usecs               : count     distribution\n..."
 * ```
 */
export function formatSectionHistograms<K>(sections: readonly HistogramSection<K>[], options: SectionFormatOptions<K> = {}): string {
  const byKey = new Map<K, HistogramSection<K>>();
  for (const s of sections) byKey.set(s.key, s);
  const keys = options.sortKeys === undefined ? [...byKey.keys()] : options.sortKeys([...byKey.keys()]);
  const formatKey = options.formatKey ?? formatSectionKey;
  const header = options.sectionHeader ?? 'Bucket ptr';
  const format = options.kind === 'linear' ? formatLinearHistogram : formatLog2Histogram;
  let out = '';
  for (const key of keys) {
    const section = byKey.get(key);
    if (section === undefined) continue;
    out += `\n${header} = ${formatKey(key)}\n${format(section.counts, options)}`;
  }
  return out;
}
