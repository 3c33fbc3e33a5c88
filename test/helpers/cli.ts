import { main } from '../../src/cli/main.js';

/** What one in-process CLI run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `bpf-ts ARGV` in this process (no node start-up), capturing stdout and stderr. */
export async function runCli(argv: readonly string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}
