import { CliError, type CliContext } from './context.js';
import { isKeyword } from './grammar.js';

const HELP = `Usage: bpf-ts map { show | list }   [MAP]
       bpf-ts map dump       MAP
       bpf-ts map update     MAP [key DATA] [value VALUE] [UPDATE_FLAGS]
       bpf-ts map lookup     MAP [key DATA]
       bpf-ts map getnext    MAP [key DATA]
       bpf-ts map delete     MAP  key DATA
       bpf-ts map pin        MAP  FILE
       bpf-ts map event_pipe MAP [cpu N index M]
       bpf-ts map peek       MAP
       bpf-ts map push       MAP value VALUE
       bpf-ts map pop        MAP
       bpf-ts map enqueue    MAP value VALUE
       bpf-ts map dequeue    MAP
       bpf-ts map freeze     MAP
       bpf-ts map help

       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }
       DATA := { [hex] BYTES }
       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
       VALUE := { DATA | MAP | PROG }
       UPDATE_FLAGS := { any | exist | noexist }
`;

type Verb = (args: readonly string[], ctx: CliContext) => Promise<number>;

/** Verbs in bpftool's `cmds[]` order, so a prefix resolves to the same command as in bpftool. */
const VERBS: ReadonlyArray<readonly [string, () => Promise<Verb>]> = [
  ['show', async () => (await import('./map-show.js')).mapShow],
  ['list', async () => (await import('./map-show.js')).mapShow],
  ['help', async () => async (_args, ctx) => (ctx.out(HELP), 0)],
  ['dump', async () => (await import('./map-dump.js')).mapDump],
  ['update', async () => (await import('./map-elem.js')).mapUpdate],
  ['lookup', async () => (await import('./map-elem.js')).mapLookup],
  ['getnext', async () => (await import('./map-elem.js')).mapGetNext],
  ['delete', async () => (await import('./map-elem.js')).mapDelete],
  ['pin', async () => (await import('./map-admin.js')).mapPin],
  ['event_pipe', async () => (await import('./map-event-pipe.js')).mapEventPipe],
  ['peek', async () => { const m = await import('./map-elem.js'); return (a, c) => m.mapLookup(a, c, 'peek'); }],
  ['push', async () => { const m = await import('./map-elem.js'); return (a, c) => m.mapUpdate(a, c, 'push'); }],
  ['enqueue', async () => { const m = await import('./map-elem.js'); return (a, c) => m.mapUpdate(a, c, 'enqueue'); }],
  ['pop', async () => { const m = await import('./map-elem.js'); return (a, c) => m.mapPop(a, c, 'pop'); }],
  ['dequeue', async () => { const m = await import('./map-elem.js'); return (a, c) => m.mapPop(a, c, 'dequeue'); }],
  ['freeze', async () => (await import('./map-admin.js')).mapFreeze],
];

/** `bpf-ts map ...`: routes each verb to the module that implements it. */
export async function runMap(args: readonly string[], ctx: CliContext): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === undefined) return (await import('./map-show.js')).mapShow(rest, ctx);
  const entry = VERBS.find(([name]) => isKeyword(verb, name));
  if (entry === undefined) throw new CliError(`unknown command '${verb}' for 'map', see 'bpf-ts map help'`);
  return (await entry[1]())(rest, ctx);
}
