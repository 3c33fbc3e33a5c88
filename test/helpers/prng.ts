/**
 * A tiny deterministic PRNG (mulberry32) for fuzz tests: the same seed gives the same inputs, so
 * a failure printed with its seed can be replayed with `BPF_TS_FUZZ_SEED=<seed>`.
 */
export class Prng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 2^32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.next() / 0x1_0000_0000) * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }
}

/** The seed for this run: `BPF_TS_FUZZ_SEED` if set, else a fixed default (reproducible CI). */
export function fuzzSeed(fallback: number): number {
  const env = process.env['BPF_TS_FUZZ_SEED'];
  return env === undefined ? fallback : Number(env) >>> 0;
}

/** The same generator as a function returning floats in [0, 1), for tests that want `Math.random`'s shape. */
export function prng(seed: number): () => number {
  const g = new Prng(seed);
  return () => g.next() / 0x1_0000_0000;
}
