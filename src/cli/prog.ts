import { CliError, type CliContext } from './context.js';
import { isKeyword } from './grammar.js';

const HELP = `Usage: bpf-ts prog { show | list } [PROG]
       bpf-ts prog dump xlated PROG [{ file FILE | [opcodes] [linum] }]
       bpf-ts prog help

       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
`;

/** `bpf-ts prog ...`: routes each verb to the module that implements it. */
export async function runProg(args: readonly string[], ctx: CliContext): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === undefined || isKeyword(verb, 'show') || isKeyword(verb, 'list')) {
    return (await import('./prog-show.js')).progShow(rest, ctx);
  }
  if (isKeyword(verb, 'dump')) return (await import('./prog-dump.js')).progDump(rest, ctx);
  if (isKeyword(verb, 'help')) {
    ctx.out(HELP);
    return 0;
  }
  throw new CliError(`unknown command '${verb}' for 'prog', see 'bpf-ts prog help'`);
}
