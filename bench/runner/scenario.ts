/** What a benchmark scenario is, and what the runner hands it. */
import type { Row } from './row.js';

/** Settings every scenario shares. */
export interface BenchContext {
  /** Alternating rounds (bpf-ts side, then libbpf side, swapping the order each round). */
  readonly rounds: number;
  /** Prefix of every kernel object name and pin path the bench creates (`bench<pid>`: with a suffix, within the 15 characters of a kernel object name). */
  readonly tag: string;
  /** Progress lines on stderr. */
  log(line: string): void;
}

/** A scenario of issue 7: measures bpf-ts and its libbpf counterpart, returns table rows. */
export interface Scenario {
  /** Short name for `npm run bench -- NAME`. */
  readonly name: string;
  readonly title: string;
  run(ctx: BenchContext): Promise<Row[]>;
}

/**
 * Runs `sides` in `rounds` rounds, the order swapped every round, so drift of the machine's
 * load hits every side alike.
 */
export async function alternate(rounds: number, sides: ReadonlyArray<() => unknown>): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) await side();
  }
}
