/**
 * One line of the results table: a measure of a scenario for bpf-ts and (when there is one) for
 * libbpf, with the target it must meet.
 */
import { median, spread } from './stats.js';

/**
 * What a row must meet. `maxRatio`/`minRatio` bound bpf-ts/libbpf (times: at most; throughputs:
 * at least); `maxValue` bounds bpf-ts's own median (CLI start-up: milliseconds of our own).
 */
export interface Target {
  readonly maxRatio?: number;
  readonly minRatio?: number;
  readonly maxValue?: number;
}

/** A measured row. */
export interface Row {
  readonly scenario: string;
  readonly measure: string;
  readonly unit: string;
  /** bpf-ts samples. */
  readonly ts: readonly number[];
  /** libbpf (or bpftool) samples; empty when there is no counterpart. */
  readonly ref: readonly number[];
  readonly target?: Target;
  readonly note?: string;
}

/** bpf-ts median / libbpf median (NaN without a counterpart). */
export function ratio(row: Row): number {
  return row.ref.length === 0 ? NaN : median(row.ts) / median(row.ref);
}

/** True when the row has a target and misses it. */
export function missed(row: Row): boolean {
  const t = row.target;
  if (t === undefined) return false;
  const r = ratio(row);
  if (t.maxRatio !== undefined && !(r <= t.maxRatio)) return true;
  if (t.minRatio !== undefined && !(r >= t.minRatio)) return true;
  if (t.maxValue !== undefined && !(median(row.ts) <= t.maxValue)) return true;
  return false;
}

function describeTarget(t: Target | undefined, unit: string): string {
  if (t === undefined) return 'reported';
  const parts: string[] = [];
  if (t.maxRatio !== undefined) parts.push(`<= ${t.maxRatio}x`);
  if (t.minRatio !== undefined) parts.push(`>= ${t.minRatio}x`);
  if (t.maxValue !== undefined) parts.push(`< ${t.maxValue} ${unit}`);
  return parts.join(', ');
}

function num(x: number): string {
  if (!Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  return a >= 1000 ? x.toFixed(0) : a >= 100 ? x.toFixed(1) : a >= 10 ? x.toFixed(2) : x.toFixed(3);
}

function withSpread(xs: readonly number[]): string {
  if (xs.length === 0) return '-';
  const [lo, hi] = spread(xs);
  return xs.length < 3 ? num(median(xs)) : `${num(median(xs))} (${num(lo)}-${num(hi)})`;
}

/** The rows as a Markdown table (median, 10th-90th percentile in parentheses). */
export function formatTable(rows: readonly Row[]): string {
  const head = ['scenario', 'measure', 'unit', 'bpf-ts', 'libbpf', 'ratio', 'target', ''];
  const lines = rows.map((r) => [
    r.scenario,
    r.note === undefined ? r.measure : `${r.measure} (${r.note})`,
    r.unit,
    withSpread(r.ts),
    withSpread(r.ref),
    num(ratio(r)),
    describeTarget(r.target, r.unit),
    r.target === undefined ? '' : missed(r) ? 'MISSED' : 'ok',
  ]);
  const out = [head, head.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`);
  return out.join('\n');
}

/** The rows as plain data (medians and ratio), for saving next to the table. */
export function summarize(rows: readonly Row[]): object[] {
  return rows.map((r) => ({
    scenario: r.scenario,
    measure: r.measure,
    unit: r.unit,
    bpfTs: median(r.ts),
    libbpf: r.ref.length === 0 ? null : median(r.ref),
    ratio: r.ref.length === 0 ? null : ratio(r),
    samples: [r.ts.length, r.ref.length],
    missed: missed(r),
  }));
}
