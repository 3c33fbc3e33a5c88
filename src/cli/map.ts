import { CliError, type CliContext } from './context.js';

/** `bpf-ts map ...`: not implemented yet. */
export async function runMap(_args: readonly string[], _ctx: CliContext): Promise<number> {
  throw new CliError('map: not implemented yet');
}
