import { CliError, type CliContext } from './context.js';
import { isKeyword } from './grammar.js';

const HELP = `Usage: bpf-ts link { show | list } [LINK]
       bpf-ts link pin LINK FILE
       bpf-ts link detach LINK
       bpf-ts link help

       LINK := { id LINK_ID | pinned FILE }
       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-f|--bpffs} }
`;

/** `bpf-ts link ...`: routes each verb to the module that implements it. */
export async function runLink(args: readonly string[], ctx: CliContext): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === undefined || isKeyword(verb, 'show') || isKeyword(verb, 'list')) {
    return (await import('./link-show.js')).linkShow(rest, ctx);
  }
  if (isKeyword(verb, 'pin')) return (await import('./link-admin.js')).linkPin(rest, ctx);
  if (isKeyword(verb, 'detach')) return (await import('./link-admin.js')).linkDetach(rest, ctx);
  if (isKeyword(verb, 'help')) {
    ctx.out(HELP);
    return 0;
  }
  throw new CliError(`unknown command '${verb}' for 'link', see 'bpf-ts link help'`);
}
