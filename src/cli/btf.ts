import { CliError, type CliContext } from './context.js';

/** `bpf-ts btf ...`: not implemented yet. */
export async function runBtf(_args: readonly string[], _ctx: CliContext): Promise<number> {
  throw new CliError('btf: not implemented yet');
}
