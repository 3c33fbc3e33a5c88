/**
 * CPU pinning: the bench process (all its threads) and every child it times run on one CPU
 * (`--cpu N`, default the last online CPU; `--cpu none` turns it off), so both sides see the same
 * core, its caches and its share of the other work on the machine.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

let cpu: number | undefined;

/** Pins this process and its threads to `which` ('none': leave scheduling alone). */
export function pinTo(which: string | undefined): void {
  if (which === 'none') return;
  const n = which === undefined ? availableParallelism() - 1 : Number(which);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--cpu: not a CPU number: ${which}`);
  execFileSync('taskset', ['-a', '-c', '-p', String(n), String(process.pid)], { stdio: 'ignore' });
  cpu = n;
}

/** The CPU the bench runs on, if pinned. */
export function benchCpu(): number | undefined {
  return cpu;
}

/** `[file, args]` that run `file args` on the bench's CPU. */
export function pinned(file: string, args: readonly string[]): [string, string[]] {
  return cpu === undefined ? [file, [...args]] : ['taskset', ['-c', String(cpu), file, ...args]];
}
