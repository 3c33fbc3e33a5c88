import { CliError, type CliContext } from './context.js';

/** `bpf-ts link ...`: not implemented yet. */
export async function runLink(_args: readonly string[], _ctx: CliContext): Promise<number> {
  throw new CliError('link: not implemented yet');
}
