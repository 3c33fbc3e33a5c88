import { CliError, type CliContext, type CommandHandler } from './context.js';
import { isKeyword } from './grammar.js';

/** Objects of the bpftool grammar, loaded on demand so start-up only pays for the one used. */
const OBJECTS: ReadonlyArray<readonly [string, () => Promise<CommandHandler>]> = [
  ['prog', async () => (await import('./prog.js')).runProg],
  ['map', async () => (await import('./map.js')).runMap],
  ['link', async () => (await import('./link.js')).runLink],
  ['cgroup', async () => (await import('./cgroup.js')).runCgroup],
  ['btf', async () => (await import('./btf.js')).runBtf],
  ['feature', async () => (await import('./feature.js')).runFeature],
  ['gen', async () => (await import('./gen.js')).runGen],
  ['perf', async () => (await import('./perf.js')).runPerf],
  ['net', async () => (await import('./net.js')).runNet],
  ['run', async () => (await import('./run.js')).runRun],
  ['load', async () => (await import('./load.js')).runLoad],
  ['unload', async () => (await import('./load.js')).runUnload],
];

/**
 * bpf-ts's own commands (not bpftool's), which take `--long` options of their own after the
 * command word (`run OBJ --set x=-1`): those words are not read as global options.
 */
const OWN_OPTION_COMMANDS = new Set(['run', 'load', 'unload']);

/** `argv` split before the words of an own-option command, when that is the command. */
function splitOwnOptionCommand(argv: readonly string[]): { globals: string[]; rest: string[] } | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') return undefined;
    if (a === '-B' || a === '--base-btf') {
      i++;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) continue;
    return OWN_OPTION_COMMANDS.has(a) ? { globals: argv.slice(0, i + 1), rest: argv.slice(i + 1) } : undefined;
  }
  return undefined;
}

const USAGE = `Usage: bpf-ts [OPTIONS] OBJECT { COMMAND | help }
       bpf-ts batch file FILE
       bpf-ts version
       bpf-ts run OBJ|FILE.bpf.c [--set NAME=VALUE] [--events MAP[:STRUCT]] [--hist MAP] [--duration S]
       bpf-ts load OBJ|FILE.bpf.c [PINDIR] [--set NAME=VALUE]
       bpf-ts unload PINDIR

       OBJECT := { prog | map | link | cgroup | perf | net | btf | gen | feature }
       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} |
                    {-f|--bpffs} | {-B|--base-btf} }
`;

interface ParsedArgs {
  readonly words: string[];
  readonly json: boolean;
  readonly pretty: boolean;
  readonly bpffs: boolean;
  readonly debug: boolean;
  readonly help: boolean;
  readonly version: boolean;
  readonly baseBtf: string | undefined;
}

function parseGlobalOptions(argv: readonly string[]): ParsedArgs {
  const words: string[] = [];
  let json = false, pretty = false, bpffs = false, debug = false, help = false, version = false;
  let baseBtf: string | undefined;
  // Like bpftool's getopt_long, options may appear anywhere; `--` ends them.
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      switch (a) {
        case '--json': json = true; break;
        case '--pretty': json = true; pretty = true; break;
        case '--bpffs': bpffs = true; break;
        case '--debug': debug = true; break;
        case '--help': help = true; break;
        case '--version': version = true; break;
        case '--base-btf': baseBtf = argv[++i]; break;
        default:
          // `gen skeleton` has its own long options (--name, --embed, --type, ...): pass them on.
          if (isKeyword(words[0], 'gen')) {
            words.push(a);
            break;
          }
          throw new CliError(`unrecognized option '${a}'`);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      for (let k = 1; k < a.length; k++) {
        const c = a[k];
        switch (c) {
          case 'j': json = true; break;
          case 'p': json = true; pretty = true; break;
          case 'f': bpffs = true; break;
          case 'd': debug = true; break;
          case 'h': help = true; break;
          case 'V': version = true; break;
          case 'B': baseBtf = a.length > k + 1 ? a.slice(k + 1) : argv[++i]; k = a.length; break;
          default: throw new CliError(`invalid option -- '${c}'`);
        }
      }
      continue;
    }
    words.push(a);
  }
  return { words, json, pretty, bpffs, debug, help, version, baseBtf };
}

function writeStdout(text: string): void {
  process.stdout.write(text);
}
function writeStderr(text: string): void {
  process.stderr.write(text);
}

/** Reports a failure as bpftool does: `Error: ...` on stderr, or `{"error": ...}` with -j. */
export function reportError(ctx: Pick<CliContext, 'json' | 'pretty' | 'out' | 'err'>, message: string): void {
  if (ctx.json) ctx.out(JSON.stringify({ error: message }, null, ctx.pretty ? 4 : undefined) + '\n');
  else ctx.err(`Error: ${message}\n`);
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit code.
 * @example
 * ```ts
 * process.exitCode = await main(['-j', 'prog', 'show']);
 * ```
 */
export async function main(argv: readonly string[], io?: Pick<CliContext, 'out' | 'err'>): Promise<number> {
  const out = io?.out ?? writeStdout;
  const err = io?.err ?? writeStderr;
  let parsed: ParsedArgs;
  try {
    const own = splitOwnOptionCommand(argv);
    parsed = parseGlobalOptions(own?.globals ?? argv);
    if (own !== undefined) parsed = { ...parsed, words: [...parsed.words, ...own.rest] };
  } catch (e) {
    err(`bpf-ts: ${(e as Error).message}\n${USAGE}`);
    return 255;
  }
  if (parsed.baseBtf !== undefined) process.env['BPF_TS_BASE_BTF'] = parsed.baseBtf;
  const ctx: CliContext = { json: parsed.json, pretty: parsed.pretty, bpffs: parsed.bpffs, debug: parsed.debug, out, err };
  const [object, ...rest] = parsed.words;
  if (parsed.version || isKeyword(object, 'version')) {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    if (ctx.json) out(JSON.stringify({ version: pkg.version }) + '\n');
    else out(`bpf-ts v${pkg.version}\n`);
    return 0;
  }
  if (object === undefined || parsed.help || isKeyword(object, 'help')) {
    (object === undefined ? err : out)(USAGE);
    return object === undefined ? 255 : 0;
  }
  const entry = OBJECTS.find(([name]) => isKeyword(object, name));
  if (!entry) {
    reportError(ctx, `object '${object}' not recognized`);
    return 255;
  }
  try {
    const handler = await entry[1]();
    return await handler(rest, ctx);
  } catch (e) {
    if (e instanceof CliError) {
      reportError(ctx, e.message);
      if (ctx.debug && e.cause) err(`${String((e.cause as Error).stack ?? e.cause)}\n`);
      return e.exitCode;
    }
    reportError(ctx, (e as Error).message ?? String(e));
    if (ctx.debug) err(`${(e as Error).stack ?? ''}\n`);
    return 255;
  }
}
