/**
 * The command line of `bpf-ts run` (and `bpf-ts load OBJ` without PINDIR):
 * `OBJ|FILE.bpf.c [--set NAME=VALUE ...] [--events MAP[:STRUCT] ...] [--hist MAP[:log2|linear][:LABEL] ...]
 * [--duration S] [-j|--json] [-p|--pretty] [-d|--debug]`. Options may come before or after OBJ,
 * as `--opt VALUE` or `--opt=VALUE`.
 */
import { CliError } from './context.js';
import { parseAssignment, type VariableAssignment } from './run-set.js';

/** One `--events MAP[:STRUCT]`. */
export interface EventsArg {
  readonly map: string;
  readonly struct: string | undefined;
}

/** One `--hist MAP[:log2|linear][:LABEL]`. */
export interface HistArg {
  readonly map: string;
  readonly kind: 'log2' | 'linear';
  readonly label: string;
}

/** What `run` was asked to do. */
export interface RunArgs {
  readonly object: string;
  readonly sets: readonly VariableAssignment[];
  readonly events: readonly EventsArg[];
  readonly hists: readonly HistArg[];
  readonly durationMs: number | undefined;
  readonly json: boolean;
  readonly pretty: boolean;
  readonly debug: boolean;
}

export const RUN_USAGE = `Usage: bpf-ts run OBJ|FILE.bpf.c [--set NAME=VALUE ...] [--events MAP[:STRUCT] ...]
                  [--hist MAP[:log2|linear][:LABEL] ...] [--duration SECONDS] [-j] [-d]
`;

function parseEvents(v: string): EventsArg {
  const [map, struct, extra] = v.split(':');
  if (map === undefined || map === '' || extra !== undefined || struct === '') throw new CliError(`--events ${v}: expected MAP or MAP:STRUCT`);
  return { map, struct: struct?.replace(/^struct\s+/, '') };
}

function parseHist(v: string): HistArg {
  const [map, ...rest] = v.split(':');
  if (map === undefined || map === '') throw new CliError(`--hist ${v}: expected MAP[:log2|linear][:LABEL]`);
  let kind: 'log2' | 'linear' = 'log2';
  let label = 'value';
  let kindSeen = false;
  for (const part of rest) {
    if (!kindSeen && (part === 'log2' || part === 'linear')) {
      kind = part;
      kindSeen = true;
    } else if (part !== '') label = part;
    else throw new CliError(`--hist ${v}: expected MAP[:log2|linear][:LABEL]`);
  }
  return { map, kind, label };
}

function parseDuration(v: string): number {
  const s = Number(v);
  if (v.trim() === '' || !Number.isFinite(s) || s <= 0) throw new CliError(`--duration ${v}: expected a positive number of seconds`);
  return Math.round(s * 1000);
}

/** Parses `run`'s words (after `run`); `json`/`debug` start from the global options. */
export function parseRunArgs(args: readonly string[], defaults: { json: boolean; pretty: boolean; debug: boolean }, verb = 'run'): RunArgs {
  let object: string | undefined;
  const sets: VariableAssignment[] = [];
  const events: EventsArg[] = [];
  const hists: HistArg[] = [];
  let durationMs: number | undefined;
  let { json, pretty, debug } = defaults;
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const name = eq > 0 ? word.slice(0, eq) : word;
    const value = (): string => {
      if (eq > 0) return word.slice(eq + 1);
      const v = args[++i];
      if (v === undefined) throw new CliError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--set': sets.push(parseAssignment(value())); break;
      case '--events': events.push(parseEvents(value())); break;
      case '--hist': hists.push(parseHist(value())); break;
      case '--duration': durationMs = parseDuration(value()); break;
      case '-j': case '--json': json = true; break;
      case '-p': case '--pretty': json = true; pretty = true; break;
      case '-d': case '--debug': debug = true; break;
      default:
        if (word.startsWith('-') && word !== '-') throw new CliError(`${verb}: unknown option '${word}' (see bpf-ts run help)`);
        if (object !== undefined) throw new CliError(`${verb}: unexpected argument '${word}' (the object is '${object}')`);
        object = word;
    }
  }
  if (object === undefined) throw new CliError(`${verb}: expected an object file (OBJ or FILE.bpf.c) (see bpf-ts run help)`);
  return { object, sets, events, hists, durationMs, json, pretty, debug };
}
