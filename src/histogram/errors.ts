import { BpfTsError } from '../errors/index.js';

/**
 * A histogram could not be formatted or read: a count that is not a non-negative integer, a
 * map whose key/value layout is not a histogram's, a slot index out of range. `map` names the
 * map when one was being read.
 *
 * @example
 * ```ts
 * try { formatLog2Histogram([1, -2]) } catch (e) { if (e instanceof HistogramError) console.error(e.message); }
 * ```
 */
export class HistogramError extends BpfTsError {
  constructor(
    message: string,
    /** The map being read, when there was one (`name` or `id N`). */
    readonly map?: string,
  ) {
    super(map === undefined ? message : `histogram map ${map}: ${message}`);
  }
}
