import { CliError, type CliContext } from './context.js';
import { isKeyword } from './grammar.js';

const HELP = `Usage: bpf-ts prog { show | list } [PROG]
       bpf-ts prog dump xlated PROG [{ file FILE | [opcodes] [linum] }]
       bpf-ts prog { load | loadall } OBJ PATH [type TYPE] [map { idx IDX | name NAME } MAP] [pinmaps MAP_DIR]
                                          [autoattach]
       bpf-ts prog run PROG \\
                         data_in FILE \\
                         [data_out FILE [data_size_out L]] \\
                         [ctx_in FILE [ctx_out FILE [ctx_size_out M]]] \\
                         [repeat N]
       bpf-ts prog tracelog
       bpf-ts prog help

       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }
       TYPE := { socket | kprobe | kretprobe | classifier | action | tracepoint | raw_tracepoint |
                 xdp | perf_event | cgroup/skb | cgroup/sock | lwt_in | sockops | sk_skb | sk_msg |
                 flow_dissector | cgroup/connect4 | ... (any libbpf SEC() prefix) }
`;

/** `bpf-ts prog ...`: routes each verb to the module that implements it. */
export async function runProg(args: readonly string[], ctx: CliContext): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === undefined || isKeyword(verb, 'show') || isKeyword(verb, 'list')) {
    return (await import('./prog-show.js')).progShow(rest, ctx);
  }
  if (isKeyword(verb, 'dump')) return (await import('./prog-dump.js')).progDump(rest, ctx);
  // 'loadall' first: every prefix of 'load' is also one of 'loadall'.
  if (verb === 'loadall' || (isKeyword(verb, 'loadall') && verb.length > 'load'.length)) return (await import('./prog-load.js')).progLoad(rest, ctx, false);
  if (isKeyword(verb, 'load')) return (await import('./prog-load.js')).progLoad(rest, ctx, true);
  if (isKeyword(verb, 'run')) return (await import('./prog-run.js')).progRun(rest, ctx);
  if (isKeyword(verb, 'tracelog')) return (await import('./prog-tracelog.js')).progTracelog(rest, ctx);
  if (isKeyword(verb, 'help')) {
    ctx.out(HELP);
    return 0;
  }
  throw new CliError(`unknown command '${verb}' for 'prog', see 'bpf-ts prog help'`);
}
