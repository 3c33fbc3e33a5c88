/**
 * `bpf-ts load OBJ|FILE.bpf.c [PINDIR] [--set NAME=VALUE ...]` and `bpf-ts unload PINDIR`.
 *
 * With PINDIR, `load` loads the object, attaches every program from its SEC() name, pins what
 * keeps it running and exits (bpftool's `prog loadall OBJ PINDIR autoattach pinmaps
 * PINDIR/maps`); the programs stay attached until `unload`. PINDIR must be on a bpffs. Layout:
 *
 *   PINDIR/<program>       the program's link (or, with no auto-attach target, the program itself)
 *   PINDIR/<program>_<i>   links of a program attached at several sites (USDT)
 *   PINDIR/maps/<map>      every map ('.' in names -> '_', as bpftool's pinmaps)
 *   PINDIR/bpf_ts_load     the manifest: a one-entry array map holding JSON that lists each pin
 *                          above with its kind and kernel object id
 *
 * Everything is pinned first under a staging directory beside PINDIR
 * (`bpf_ts_loading_<pid>_<name>`), which becomes PINDIR by one rename(2) once the manifest is in
 * it: a `load` killed halfway leaves no half-filled PINDIR, and the next `load` into the same
 * parent removes staging directories whose process is gone (detaching what they held).
 *
 * `unload PINDIR` removes the pins the manifest lists, each only while it still holds the same
 * object (a pin replaced meanwhile stays, with a note), then the manifest and the directories
 * when empty: other files put in PINDIR are left alone. Removing the link pins detaches the
 * programs. Without PINDIR, `load` is `bpf-ts run OBJ` (streams, until Ctrl-C).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { attachAndPinAll, type PinnedAttachment } from '../links/pin-attached.js';
import { loadObject, type BpfObject } from '../loader/bpf-object.js';
import { matchSection } from '../loader/section-defs.js';
import { BpfMap } from '../maps/map.js';
import { readFdInfo } from '../sys/fdinfo.js';
import { DEFAULT_BPFFS, ensureBpffs, isBpffs, objGet } from '../sys/pin.js';
import { MapType } from '../sys/uapi.js';
import { CliError, type CliContext } from './context.js';
import { parseRunArgs } from './run-args.js';
import { openObjectSpec, runObject } from './run.js';
import { applyAssignments } from './run-set.js';

/** The manifest's pin name (bpffs names cannot hold dots). */
export const LOAD_MANIFEST = 'bpf_ts_load';
const MANIFEST_VERSION = 1;

/** One pin `load` made. `path` is relative to PINDIR. */
export interface LoadManifestPin {
  readonly path: string;
  readonly kind: 'link' | 'prog' | 'map';
  readonly id: number;
}

/** What the manifest map holds (as JSON). */
export interface LoadManifest {
  readonly version: number;
  readonly object: string;
  readonly pins: readonly LoadManifestPin[];
}

const ID_FIELD = { link: 'link_id', prog: 'prog_id', map: 'map_id' } as const;

/** The kernel id of the object pinned at `path` if it is a `kind`, else undefined. */
function pinnedId(path: string, kind: LoadManifestPin['kind']): number | undefined {
  let fd;
  try {
    fd = objGet(path);
  } catch {
    return undefined;
  }
  try {
    const v = readFdInfo(fd).get(ID_FIELD[kind]);
    return v === undefined ? undefined : Number(v);
  } finally {
    fd.close();
  }
}

function writeManifest(dir: string, manifest: LoadManifest): void {
  const bytes = Buffer.from(JSON.stringify(manifest));
  using map = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: Math.max(8, bytes.length), maxEntries: 1, name: 'bpf_ts_load' });
  const value = new Uint8Array(map.valueSize);
  value.set(bytes);
  map.update(new Uint8Array(4), value);
  map.freeze();
  map.pin(join(dir, LOAD_MANIFEST));
}

/** The manifest pinned in `dir`, or a CliError saying `dir` was not made by `bpf-ts load`. */
export function readManifest(dir: string): LoadManifest {
  const path = join(dir, LOAD_MANIFEST);
  if (!existsSync(path)) throw new CliError(`${dir}: no ${LOAD_MANIFEST} manifest here; not a directory made by 'bpf-ts load OBJ PINDIR'`);
  using map = BpfMap.fromPin(path);
  const value = map.lookup(new Uint8Array(4));
  const text = value === undefined ? '' : Buffer.from(value).toString('utf8').replace(/\0+$/, '');
  try {
    const m = JSON.parse(text) as LoadManifest;
    if (m.version !== MANIFEST_VERSION || !Array.isArray(m.pins)) throw new Error(`version ${String(m.version)}`);
    return m;
  } catch (e) {
    throw new CliError(`${path}: unreadable manifest (${(e as Error).message})`, 255, { cause: e });
  }
}

const STAGING_PREFIX = 'bpf_ts_loading_';
/** `bpf_ts_loading_<pid>_<name>`: the pid of the load that made it. */
const STAGING_NAME = new RegExp(`^${STAGING_PREFIX}(\\d+)_`);

/** True when process `pid` exists (signal 0 probes without signalling). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes staging directories in `parent` left by `load` processes that no longer exist. */
function sweepStaleStaging(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = STAGING_NAME.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || processAlive(Number(pid))) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
  }
}

function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // Gone already, or not ours to remove.
  }
}

/** Loads, attaches and pins under `dir` (see the module comment). Returns the manifest written. */
async function loadPinned(objectFile: string, dir: string, args: ReturnType<typeof parseRunArgs>, ctx: CliContext): Promise<LoadManifest> {
  const pindir = resolve(dir);
  if (pindir === DEFAULT_BPFFS) throw new CliError(`${dir}: PINDIR must be a directory under ${DEFAULT_BPFFS}, not the mount itself`);
  if (existsSync(join(pindir, LOAD_MANIFEST))) throw new CliError(`${dir} already holds a 'bpf-ts load' (run 'bpf-ts unload ${dir}' first)`);
  if (existsSync(pindir) && readdirSync(pindir).length > 0) throw new CliError(`${dir} is not empty`);
  const spec = await openObjectSpec(objectFile, ctx, args.debug);
  applyAssignments(spec, args.sets);
  let obj: BpfObject | undefined;
  const parent = dirname(pindir);
  const staging = join(parent, `${STAGING_PREFIX}${process.pid}_${basename(pindir)}`);
  const pins: LoadManifestPin[] = [];
  try {
    // The standard bpffs is mounted when missing (as libbpf and bpftool do); any other place
    // must already be on a bpffs: mounting one over a user's directory would outlive unload.
    if (pindir.startsWith(`${DEFAULT_BPFFS}/`)) ensureBpffs();
    mkdirSync(parent, { recursive: true, mode: 0o700 });
    if (!isBpffs(parent)) throw new CliError(`${dir} is not on a BPF file system (bpffs); use a directory under ${DEFAULT_BPFFS}`);
    sweepStaleStaging(parent);
    mkdirSync(staging, { mode: 0o700 });
    obj = await loadObject(spec, args.debug ? { debug: (line: string) => ctx.err(`${line}\n`) } : {});
    const usdt = obj.map('__bpf_usdt_specs');
    const context = usdt === undefined ? {} : { usdtSpecsMap: { fd: usdt.fd.fd, id: usdt.id, maxEntries: usdt.maxEntries } };
    const entries = [...obj.programs.values()].map((program) => ({ program, section: matchSection(program.section) }));
    const attached: PinnedAttachment[] = attachAndPinAll(entries, staging, {
      context,
      onFallback: (name) => ctx.err(`bpf-ts load: program '${name}' has no auto-attach target; pinned the program instead\n`),
    });
    for (const a of attached) {
      const kind = a.kind === 'link' ? 'link' : 'prog';
      for (const p of a.paths) pins.push({ path: p.slice(staging.length + 1), kind, id: pinnedId(p, kind) ?? 0 });
    }
    const mapsDir = join(staging, 'maps');
    mkdirSync(mapsDir, { mode: 0o700 });
    for (const p of obj.pinMaps(mapsDir)) pins.push({ path: p.slice(staging.length + 1), kind: 'map', id: pinnedId(p, 'map') ?? 0 });
    const manifest: LoadManifest = { version: MANIFEST_VERSION, object: resolve(objectFile), pins };
    writeManifest(staging, manifest);
    // rename(2) onto PINDIR replaces it only when it is an empty directory (checked above; a
    // directory filled meanwhile makes this fail with ENOTEMPTY, and the staging pins go).
    renameSync(staging, pindir);
    return manifest;
  } catch (e) {
    // Everything in the staging directory is this load's own.
    rmSync(staging, { recursive: true, force: true });
    throw e;
  } finally {
    obj?.close();
  }
}

/**
 * `bpf-ts load OBJ [PINDIR] [--set NAME=VALUE ...] [-d]`.
 *
 * @example
 * ```ts
 * await runLoad(['prog.bpf.o', '/sys/fs/bpf/prog'], ctx); // attached and pinned; exits
 * ```
 */
export async function runLoad(args: readonly string[], ctx: CliContext, stop?: AbortSignal): Promise<number> {
  // The second word that is not an option or an option's value is PINDIR.
  const positional: number[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (/^--(set|events|hist|duration)$/.test(a)) i++;
    else if (!a.startsWith('-')) positional.push(i);
  }
  if (positional.length < 2) return runObject(parseRunArgs(args, ctx, 'load'), ctx, stop);
  const pindirIndex = positional[1] as number;
  const pindir = args[pindirIndex] as string;
  const rest = args.filter((_, i) => i !== pindirIndex);
  const parsed = parseRunArgs(rest, ctx, 'load');
  if (parsed.events.length > 0 || parsed.hists.length > 0 || parsed.durationMs !== undefined) {
    throw new CliError('load OBJ PINDIR: --events, --hist and --duration apply only without PINDIR (use bpf-ts run)');
  }
  const manifest = await loadPinned(parsed.object, pindir, parsed, { ...ctx, debug: parsed.debug });
  const links = manifest.pins.filter((p) => p.kind === 'link').length;
  if (parsed.json) ctx.out(`${JSON.stringify({ pindir: resolve(pindir), pins: manifest.pins })}\n`);
  else ctx.err(`bpf-ts load: ${links} link${links === 1 ? '' : 's'} pinned under ${pindir}; 'bpf-ts unload ${pindir}' detaches\n`);
  return 0;
}

/**
 * `bpf-ts unload PINDIR`: removes what `bpf-ts load OBJ PINDIR` pinned, and only that.
 *
 * @example
 * ```ts
 * await runUnload(['/sys/fs/bpf/prog'], ctx);
 * ```
 */
export async function runUnload(args: readonly string[], ctx: CliContext): Promise<number> {
  const words = args.filter((a) => !['-j', '--json', '-d', '--debug', '-p', '--pretty'].includes(a));
  if (words.length !== 1) throw new CliError(`unload: expected PINDIR, got ${words.length === 0 ? 'nothing' : `'${words.join(' ')}'`}`);
  const dir = resolve(words[0] as string);
  const manifest = readManifest(dir);
  let kept = 0;
  // Links first (detaching the programs), then program pins, then maps.
  const order = { link: 0, prog: 1, map: 2 } as const;
  for (const pin of [...manifest.pins].sort((a, b) => order[a.kind] - order[b.kind])) {
    const path = join(dir, pin.path);
    if (!path.startsWith(`${dir}/`)) continue; // a manifest never points outside PINDIR
    if (!existsSync(path)) continue;
    const id = pinnedId(path, pin.kind);
    if (id !== pin.id) {
      kept++;
      ctx.err(`bpf-ts unload: ${path} no longer holds ${pin.kind} ${pin.id}; left in place\n`);
      continue;
    }
    rmSync(path);
  }
  rmSync(join(dir, LOAD_MANIFEST), { force: true });
  removeIfEmpty(join(dir, 'maps'));
  removeIfEmpty(dir);
  return kept === 0 ? 0 : 1;
}
