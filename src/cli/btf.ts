import { CliError, type CliContext } from './context.js';
import { isKeyword } from './grammar.js';

const HELP = `Usage: bpf-ts btf { show | list } [id BTF_ID]
       bpf-ts btf dump BTF_SRC [format FORMAT]
       bpf-ts btf help

       BTF_SRC := { id BTF_ID | prog PROG | map MAP [{key | value | kv | all}] | file FILE }
       FORMAT  := { raw | c }
`;

/** `bpf-ts btf ...`: routes each verb to the module that implements it. */
export async function runBtf(args: readonly string[], ctx: CliContext): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === undefined || isKeyword(verb, 'show') || isKeyword(verb, 'list')) {
    return (await import('./btf-show.js')).btfShow(rest, ctx);
  }
  if (isKeyword(verb, 'dump')) return (await import('./btf-dump.js')).btfDump(rest, ctx);
  if (isKeyword(verb, 'help')) {
    ctx.out(HELP);
    return 0;
  }
  throw new CliError(`unknown command '${verb}' for 'btf', see 'bpf-ts btf help'`);
}
