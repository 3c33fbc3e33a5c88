import { CliError, type CliContext } from './context.js';

/** `bpf-ts feature ...`: not implemented yet. */
export async function runFeature(_args: readonly string[], _ctx: CliContext): Promise<number> {
  throw new CliError('feature: not implemented yet');
}
