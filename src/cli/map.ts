import { CliError, type CliContext } from './context.js';
import { isKeyword } from './grammar.js';

const HELP = `Usage: bpf-ts map { show | list } [MAP]
       bpf-ts map help

       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }
`;

/** `bpf-ts map ...`: routes each verb to the module that implements it. */
export async function runMap(args: readonly string[], ctx: CliContext): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === undefined || isKeyword(verb, 'show') || isKeyword(verb, 'list')) {
    return (await import('./map-show.js')).mapShow(rest, ctx);
  }
  if (isKeyword(verb, 'help')) {
    ctx.out(HELP);
    return 0;
  }
  throw new CliError(`unknown command '${verb}' for 'map', see 'bpf-ts map help'`);
}
