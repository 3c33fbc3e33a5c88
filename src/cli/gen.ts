import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseBtf } from '../btf/btf.js';
import { minCoreBtf } from '../loader/min-core-btf.js';
import { parseObjectSpec } from '../loader/object-spec.js';
import { generateSkeleton, type GenerateSkeletonOptions } from '../skeleton/generate.js';
import { CliError, type CliContext } from './context.js';
import { isKeyword } from './grammar.js';

const HELP = `Usage: bpf-ts gen skeleton FILE [name OBJECT_NAME] [OPTIONS]
       bpf-ts gen min_core_btf INPUT OUTPUT OBJECT [OBJECT...]
       bpf-ts gen help

       OPTIONS := { --name NAME | --embed | --path[=PATH] | --import MODULE |
                    --type [MAP=]TYPE | --char-bytes }

       Writes a TypeScript module to stdout (docs/skeletons.md):
       --embed        the object is embedded as base64 (default)
       --path[=PATH]  the object is read from PATH at open(), relative to the generated
                      module (default: FILE's base name, i.e. kept next to the module)
       --import M     import bpf-ts from M (default 'bpf-ts'; in-repo '../../src/index.js')
       --type T       also declare type T (event, struct event, enum kind) and its codec
       --type MAP=T   MAP (ring buffer / perf event array) carries records of type T
       --char-bytes   char arrays as Uint8Array instead of string
`;

/** `bpf-ts gen ...`: bpftool's `gen` object. */
export async function runGen(args: readonly string[], ctx: CliContext): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === undefined || isKeyword(verb, 'help')) {
    (verb === undefined ? ctx.err : ctx.out)(HELP);
    return verb === undefined ? 255 : 0;
  }
  if (isKeyword(verb, 'skeleton')) return genSkeleton(rest, ctx);
  if (isKeyword(verb, 'min_core_btf')) return genMinCoreBtf(rest);
  throw new CliError(`unknown command '${verb}' for 'gen', see 'bpf-ts gen help'`);
}

function genSkeleton(args: readonly string[], ctx: CliContext): number {
  let file: string | undefined;
  let name: string | undefined;
  let object: GenerateSkeletonOptions['object'];
  let importFrom: string | undefined;
  let charBytes = false;
  const types: string[] = [];
  const value = (i: number, option: string): string => {
    const v = args[i];
    if (v === undefined) throw new CliError(`${option} needs a value`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    switch (flag) {
      case '--name': name = inline ?? value(++i, '--name'); break;
      case '--embed': object = { embed: true }; break;
      case '--path': object = { path: inline ?? '' }; break;
      case '--import': importFrom = inline ?? value(++i, '--import'); break;
      case '--type': types.push(inline ?? value(++i, '--type')); break;
      case '--char-bytes': charBytes = true; break;
      default:
        if (a.startsWith('--')) throw new CliError(`unknown option '${a}' for 'gen skeleton'`);
        if (file === undefined) file = a;
        else if (isKeyword(a, 'name')) name = value(++i, 'name');
        else throw new CliError(`unexpected argument '${a}'`);
    }
  }
  if (file === undefined) throw new CliError('expected FILE: bpf-ts gen skeleton FILE [name OBJECT_NAME]');
  if (object !== undefined && 'path' in object && object.path === '') object = { path: basename(file) };
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new CliError(`failed to read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 255, { cause: e });
  }
  const text = generateSkeleton(bytes, {
    fileName: basename(file),
    ...(name === undefined ? {} : { name }),
    ...(object === undefined ? {} : { object }),
    ...(importFrom === undefined ? {} : { importFrom }),
    types,
    charBytes,
    command: ['bpf-ts', 'gen', 'skeleton', ...args].join(' '),
  });
  ctx.out(text);
  return 0;
}

function readInput(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CliError(`failed to read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 255, { cause: e });
  }
}

/** `gen min_core_btf INPUT OUTPUT OBJECT...`: the kernel BTF the objects' CO-RE relocations need. */
function genMinCoreBtf(args: readonly string[]): number {
  const [input, output, ...objects] = args;
  if (input === undefined || output === undefined || objects.length === 0) {
    throw new CliError('expected INPUT OUTPUT OBJECT [OBJECT...]: bpf-ts gen min_core_btf INPUT OUTPUT OBJECT [OBJECT...]');
  }
  const kernel = parseBtf(readInput(input));
  const specs = objects.map((o) => parseObjectSpec(readInput(o), { fileName: basename(o) }));
  writeFileSync(output, minCoreBtf(kernel, specs));
  return 0;
}
