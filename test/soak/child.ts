/**
 * Runs one of the soak's child scripts (compiled, next to this file) in a fresh Node process and
 * returns the JSON line it printed last. The young generation of the V8 heap is fixed at its
 * full size (`--min/max-semi-space-size`): left to grow, it adds ~25 MiB of RSS over the first
 * ~1,000 cycles of a run with a flat heap (measured; docs/soak.md), which would read as a leak.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SOAK_DIR = dirname(fileURLToPath(import.meta.url));

/** Node flags of every measuring child. */
export const CHILD_NODE_FLAGS = ['--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16'] as const;

/** Spawns `node FLAGS SOAK_DIR/script args`, inheriting stderr; rejects on a non-zero exit. */
export function runSoakChild<T>(script: string, args: readonly string[], options: { timeoutMs: number }): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CHILD_NODE_FLAGS, join(SOAK_DIR, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`${script} ${args.join(' ')}: exit ${code ?? signal}\n${out}`));
        return;
      }
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as T);
      } catch (e) {
        reject(new Error(`${script}: no JSON result in its output: ${out}`, { cause: e }));
      }
    });
  });
}
