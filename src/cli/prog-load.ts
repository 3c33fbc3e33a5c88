/**
 * `bpf-ts prog load|loadall OBJ PATH [type TYPE] [map { idx IDX | name NAME } MAP] [pinmaps DIR]
 * [autoattach]`, bpftool's grammar: options in any order, `load` pins the first program at PATH,
 * `loadall` pins every program as PATH/<name>; `pinmaps` pins every map as DIR/<name> ('.' -> '_').
 * `autoattach` (bpftool 7.2+) attaches each program from its SEC() name and pins the link there
 * instead, so the program stays attached after the command exits; programs that cannot be
 * auto-attached are pinned themselves, with a note on stderr. With `-d`, libbpf-style debug
 * lines go to stderr.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { BpfMap } from '../maps/map.js';
import type { AttachAndPinOptions, PinAttachEntry } from '../links/pin-attached.js';
import { loadObject, type BpfObject } from '../loader/bpf-object.js';
import { loadObjectSpec } from '../loader/load-object-spec.js';
import type { BpfProgram } from '../loader/program.js';
import { matchSection } from '../loader/section-defs.js';
import { isPermissionError } from '../sys/errors.js';
import type { OwnedFd } from '../sys/fd.js';
import { CliError, type CliContext } from './context.js';
import { isKeyword } from './grammar.js';
import { parseCUnsigned, parseMapHandle } from './object-handle.js';
import { preparePinDir, removeCreatedDirs } from './pin-dir.js';

/** One `map { idx IDX | name NAME } MAP` replacement. */
interface MapReplacement {
  readonly idx: number | undefined;
  readonly name: string | undefined;
  readonly fd: OwnedFd;
}

/** What the command line asked for. */
interface LoadArgs {
  readonly object: string;
  readonly path: string;
  readonly type: string | undefined;
  readonly replacements: MapReplacement[];
  readonly pinMaps: string | undefined;
  readonly autoAttach: boolean;
}

function parseArgs(args: readonly string[], verb: string): LoadArgs {
  if (args.length < 2) throw new CliError(`'${verb}' needs at least 2 arguments, ${args.length} found`);
  const [object, path] = args as [string, string];
  let type: string | undefined;
  let pinMaps: string | undefined;
  let autoAttach = false;
  const replacements: MapReplacement[] = [];
  try {
    for (let i = 2; i < args.length; ) {
      const word = args[i] as string;
      if (isKeyword(word, 'type')) {
        if (type !== undefined) throw new CliError('program type already specified');
        type = args[i + 1];
        if (type === undefined) throw new CliError("'type' needs at least 1 arguments, 0 found");
        i += 2;
      } else if (isKeyword(word, 'map')) {
        if (args.length - i - 1 < 4) throw new CliError(`'map' needs at least 4 arguments, ${args.length - i - 1} found`);
        const sel = args[i + 1];
        const value = args[i + 2];
        let idx: number | undefined;
        let name: string | undefined;
        if (isKeyword(sel, 'idx')) {
          idx = value === undefined ? undefined : parseCUnsigned(value);
          if (idx === undefined) throw new CliError(`can't parse map index: ${value ?? ''}`);
        } else if (isKeyword(sel, 'name')) {
          if (value === undefined) throw new CliError("'map name' needs a map name");
          name = value;
        } else {
          throw new CliError(`expected 'idx' or 'name', got: '${sel ?? ''}'?`);
        }
        const fds = parseMapHandle(args.slice(i + 3));
        if (fds.length !== 1) {
          for (const f of fds) f.close();
          throw new CliError(fds.length === 0 ? 'no map matches the given handle' : 'several maps match this handle');
        }
        replacements.push({ idx, name, fd: fds[0] as OwnedFd });
        i += 5;
      } else if (isKeyword(word, 'pinmaps')) {
        pinMaps = args[i + 1];
        if (pinMaps === undefined) throw new CliError("'pinmaps' needs at least 1 arguments, 0 found");
        i += 2;
      } else if (isKeyword(word, 'autoattach')) {
        autoAttach = true;
        i += 1;
      } else {
        // bpftool 7.1's wording (the reference the tests compare with), though it also takes 'pinmaps' and 'autoattach'.
        throw new CliError(`expected no more arguments, 'type', 'map' or 'dev', got: '${word}'?`);
      }
    }
  } catch (e) {
    for (const r of replacements) r.fd.close();
    throw e;
  }
  return { object, path, type, replacements, pinMaps, autoAttach };
}

/** bpftool resolves `type T` as the section name `T/` (then `T`) in libbpf's table. */
function programType(type: string): { type: number; expectedAttachType: number } {
  for (const name of [`${type}/`, type]) {
    const m = matchSection(name);
    if (m.def !== undefined) return { type: m.progType, expectedAttachType: m.expectedAttachType };
  }
  throw new CliError(`failed to get program type from "${type}"`);
}

/** The exit code of a permission failure (EPERM), as for the show commands (object-handle.ts). */
const PERMISSION_EXIT = 1;

/** The first line of an error's message: the CLI reports one line; -d shows the rest. */
function firstLine(e: unknown): string {
  return ((e as Error).message ?? String(e)).split('\n')[0] ?? '';
}

function attachEntry(p: BpfProgram): PinAttachEntry {
  return { program: p, section: matchSection(p.section) };
}

/** Attaches and pins links (`autoattach`) or pins programs; returns every path pinned. */
async function pinPrograms(obj: BpfObject, path: string, firstOnly: boolean, autoAttach: boolean, ctx: CliContext): Promise<string[]> {
  const first = obj.programs.values().next().value;
  if (first === undefined) throw new CliError("object file doesn't contain any bpf program");
  // `load` pins in PATH's directory, `loadall` in PATH itself; either must be on a bpffs.
  const created = preparePinDir(firstOnly ? dirname(path) : path, path);
  const usdtSpecs = obj.map('__bpf_usdt_specs');
  const options: AttachAndPinOptions = {
    ...(usdtSpecs === undefined ? {} : { context: { usdtSpecsMap: { fd: usdtSpecs.fd.fd, id: usdtSpecs.id, maxEntries: usdtSpecs.maxEntries } } }),
    // bpftool's p_info(): silent under -j.
    onFallback: (name) => ctx.json || ctx.err(`Program ${name} does not support autoattach, falling back to pinning\n`),
  };
  try {
    if (autoAttach) {
      // The attach code (29 modules of src/links) is loaded only for `autoattach`: a plain
      // load does not pay its start-up (bench scenario 4, whole process).
      const { attachAndPin, attachAndPinAll } = await import('../links/pin-attached.js');
      if (firstOnly) return [...attachAndPin(attachEntry(first), path, options).paths];
      mkdirSync(path, { recursive: true, mode: 0o700 });
      return attachAndPinAll([...obj.programs.values()].map(attachEntry), path, options).flatMap((a) => a.paths);
    }
    if (!firstOnly) return obj.pinPrograms(path);
    first.pin(path);
    return [path];
  } catch (e) {
    removeCreatedDirs(created);
    throw new CliError(`${firstOnly ? `failed to pin program ${first.section}` : 'failed to pin all programs'}: ${firstLine(e)}`, 255, { cause: e });
  }
}

function pinAllMaps(obj: BpfObject, dir: string): void {
  const created = preparePinDir(dir, dir);
  try {
    obj.pinMaps(dir);
  } catch (e) {
    removeCreatedDirs(created);
    throw new CliError(`failed to pin all maps: ${firstLine(e)}`, 255, { cause: e });
  }
}

/**
 * `prog load` (`firstOnly`) and `prog loadall`.
 *
 * @example
 * ```ts
 * await progLoad(['bpf/minimal.bpf.o', '/sys/fs/bpf/minimal'], ctx, true);
 * ```
 */
export async function progLoad(args: readonly string[], ctx: CliContext, firstOnly: boolean): Promise<number> {
  const a = parseArgs(args, firstOnly ? 'load' : 'loadall');
  const debug = ctx.debug ? (line: string): void => ctx.err(`${line}\n`) : undefined;
  const replaced = new Map<string, BpfMap>();
  try {
    const spec = await loadObjectSpec(a.object).catch((e: unknown) => {
      throw new CliError(`failed to open object file: ${firstLine(e)}`, 255, { cause: e });
    });
    for (const r of a.replacements) {
      const m = r.idx !== undefined ? spec.maps[r.idx] : spec.map(r.name ?? '');
      if (m === undefined) {
        throw new CliError(r.idx !== undefined ? `map idx '${r.idx}' not used` : `unable to find map '${r.name ?? ''}'`);
      }
      if (replaced.has(m.name)) throw new CliError(`replacement for map idx ${spec.maps.indexOf(m)} specified more than once`);
      replaced.set(m.name, BpfMap.fromFd(r.fd.dup()));
    }
    const override = a.type === undefined ? undefined : programType(a.type);
    let obj: BpfObject;
    try {
      obj = await loadObject(spec, {
        ...(debug === undefined ? {} : { debug }),
        ...(override === undefined ? {} : { programType: override }),
        ...(replaced.size === 0 ? {} : { replaceMaps: replaced }),
      });
    } catch (e) {
      // bpftool prints libbpf's warnings and then this line; we print one line with the reason
      // (a verifier rejection names the source line), and with -d the whole error and its log.
      throw new CliError(`failed to load object file: ${firstLine(e)}`, isPermissionError(e) ? PERMISSION_EXIT : 255, { cause: e });
    }
    try {
      const pinned = await pinPrograms(obj, a.path, firstOnly, a.autoAttach, ctx);
      if (a.pinMaps !== undefined) {
        try {
          pinAllMaps(obj, a.pinMaps);
        } catch (e) {
          for (const p of pinned) rmSync(p, { force: true });
          if (!firstOnly) removeCreatedDirs([a.path]);
          throw e;
        }
      }
    } finally {
      obj.close();
    }
    if (ctx.json) ctx.out('null\n');
    return 0;
  } finally {
    for (const r of a.replacements) r.fd.close();
    for (const m of replaced.values()) m.close();
  }
}
