import { CliError, type CliContext } from './context.js';

/** `bpf-ts prog ...`: not implemented yet. */
export async function runProg(_args: readonly string[], _ctx: CliContext): Promise<number> {
  throw new CliError('prog: not implemented yet');
}
