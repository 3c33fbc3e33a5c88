/** Wall time of whole processes (start to exit), run on the bench's CPU like everything else. */
import { spawnSync } from 'node:child_process';
import { pinned } from './cpu.js';

/** Runs `file args` to completion; returns its wall time in ms. Throws when it fails. */
export function timeProcess(file: string, args: readonly string[]): number {
  const [f, argv] = pinned(file, args);
  const t0 = performance.now();
  const r = spawnSync(f, argv, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return ms;
}

/** Node's own start-up and exit: `node -e ''`, the floor under every `bpf-ts` command. */
export function timeNodeStartup(): number {
  return timeProcess(process.execPath, ['-e', '']);
}
