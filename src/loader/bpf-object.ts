/**
 * `BpfObject`: the kernel objects of a loaded {@link ObjectSpec} (maps by name, programs by
 * name), and `loadObject()`, libbpf's `bpf_object__load()` with its phases in order:
 * resolve externs -> load BTF -> create maps -> per program: append subprograms, CO-RE,
 * relocate, load, bind `.rodata` -> initialise prog-array and map-in-map slots -> pin the maps
 * pinned by name (last, so that a load that did not finish, even one killed by SIGKILL, leaves no
 * pin behind).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Btf } from '../btf/btf.js';
import { possibleCpus } from '../sys/cpus.js';
import { DEFAULT_BPFFS, isBpffs } from '../sys/pin.js';
import type { BpfMap } from '../maps/map.js';
import { createMaps, pinCreatedMaps, type CreatedMap } from './create-maps.js';
import { kernelFacts, type KernelFacts } from './kernel-facts.js';
import { globalDataMemory, releaseGlobalData } from './global-data-view.js';
import { LoadError } from './load-errors.js';
import { loadObjectSpec } from './load-object-spec.js';
import type { ObjectSpec } from './object-spec.js';
import type { BpfProgram } from './program.js';
import { loadPrograms, initMapSlots, resolveExterns, loadBtf, moduleFd, prepareStructOps, writeStructOps, type ObjectLoadState, type StructOpsMap } from './load-object.js';

/** Options of {@link loadObject}. */
export interface LoadObjectOptions {
  /** Directory of maps pinned by name (`LIBBPF_PIN_BY_NAME`); default `/sys/fs/bpf`. */
  readonly pinRoot?: string;
  /** Target BTF for CO-RE instead of the running kernel's (`bpf_object_open_opts.btf_custom_path`). */
  readonly kernelBtf?: Btf;
  /** Verifier log level for every program (default 0: a level-1 log only when a load fails). */
  readonly logLevel?: number;
  /** Receives libbpf-style debug lines (`libbpf: map 'x': created successfully, fd=5`). */
  readonly debug?: (line: string) => void;
  /** Only load these programs (by name); others are skipped as if `autoload` were off. */
  readonly programs?: readonly string[];
  /** Override each program's type (`bpftool prog load ... type T`). */
  readonly programType?: { readonly type: number; readonly expectedAttachType: number };
  /**
   * Existing maps to use instead of creating these, by map name (libbpf's `bpf_map__reuse_fd`,
   * bpftool's `map name NAME MAP`). The object holds its own fd; slots and initial data are left as they are.
   */
  readonly replaceMaps?: ReadonlyMap<string, BpfMap>;
  /** Kernel facts to use (tests); default: the running kernel's. */
  readonly facts?: KernelFacts;
}

/** Closes what forgotten objects still hold. */
const forgotten = new FinalizationRegistry<{ close(): void }[]>((handles) => {
  for (const h of handles) {
    try {
      h.close();
    } catch {
      // Nobody to report to: the object is gone.
    }
  }
});

/**
 * A loaded object: its maps and programs. `close()` closes every fd this object holds (pins
 * stay; call `unpinMaps()` to remove those the load created). `using obj = await loadObject(...)`
 * closes at scope exit; a forgotten object is closed by a FinalizationRegistry.
 *
 * @example
 * ```ts
 * const spec = await loadObjectSpec('bpf/load/tracer.bpf.o');
 * spec.variables.get('min_duration_ns')!.set(1000n);
 * using obj = await loadObject(spec);
 * obj.program('handle_exec')!.testRun();
 * obj.map('events')!.info();
 * ```
 */
export class BpfObject {
  /** The spec this object was loaded from. */
  readonly spec: ObjectSpec;
  /** Maps by name (internal maps by their `obj.rodata`-style name), in spec order. */
  readonly maps: ReadonlyMap<string, BpfMap>;
  /** Loaded programs by name, in spec order. */
  readonly programs: ReadonlyMap<string, BpfProgram>;
  readonly #created: readonly CreatedMap[];
  readonly #structOps: ReadonlyMap<string, StructOpsMap>;
  #closed = false;

  /** @internal Built by {@link loadObject}. */
  constructor(spec: ObjectSpec, created: readonly CreatedMap[], programs: readonly BpfProgram[], structOps: readonly StructOpsMap[] = []) {
    this.spec = spec;
    this.#structOps = new Map(structOps.map((s) => [s.name, s]));
    this.#created = created;
    const maps = new Map<string, BpfMap>();
    for (const c of created) if (!maps.has(c.spec.name)) maps.set(c.spec.name, c.map);
    this.maps = maps;
    this.programs = new Map(programs.map((p) => [p.name, p]));
    forgotten.register(this, [...created.map((c) => c.map), ...programs], this);
  }

  /** The map called `name`. */
  map(name: string): BpfMap | undefined {
    return this.maps.get(name);
  }

  /**
   * The created struct_ops map called `name`, with its kernel value (program fds filled in):
   * what `attachStructOps()` of the links layer registers.
   */
  structOps(name: string): StructOpsMap | undefined {
    return this.#structOps.get(name);
  }

  /** The program called `name`. */
  program(name: string): BpfProgram | undefined {
    return this.programs.get(name);
  }

  /** Where each pinned-by-name map is pinned. */
  get pinnedMaps(): ReadonlyMap<string, string> {
    const out = new Map<string, string>();
    for (const c of this.#created) if (c.pinPath !== undefined) out.set(c.spec.name, c.pinPath);
    return out;
  }

  /**
   * The memory of an `BPF_F_MMAPABLE` global data map (`.bss`, `.data`, `.rodata` with exposed
   * variables), shared live with the programs; read-only for frozen maps. Use the spec's
   * variable offsets (`spec.dataSections`) to find a variable.
   */
  globalData(mapName: string): Uint8Array {
    const c = this.#created.find((m) => m.spec.name === mapName && m.spec.data !== undefined);
    if (c === undefined) throw new LoadError('no such global data map', { map: mapName, fileName: this.spec.fileName });
    return globalDataMemory(c);
  }

  /**
   * libbpf's `bpf_object__pin_programs()`: every program pinned as `dir/<name>` (the directory is
   * created; it must be on a bpffs). On failure the pins made so far are removed. Returns the paths.
   */
  pinPrograms(dir: string): string[] {
    return pinAll(dir, [...this.programs.values()].map((p) => [p.name, (at: string) => p.pin(at)]), this.spec.fileName);
  }

  /**
   * libbpf's `bpf_object__pin_maps()` with a directory: every map pinned as `dir/<name>` with '.'
   * turned into '_' (bpffs names cannot hold dots). A map pinned by name elsewhere is an error, as
   * in libbpf; one already pinned at that path is skipped. Returns the paths pinned now.
   */
  pinMaps(dir: string): string[] {
    const own = this.pinnedMaps;
    const todo: [string, (at: string) => void][] = [];
    for (const [name, map] of this.maps) {
      const at = join(dir, name.replace(/\./g, '_'));
      const pinned = own.get(name);
      if (pinned !== undefined && pinned !== at) {
        throw new LoadError(`already has pin path '${pinned}' different from '${at}'`, { map: name, fileName: this.spec.fileName });
      }
      if (pinned === undefined) todo.push([name.replace(/\./g, '_'), (p: string) => map.pin(p)]);
    }
    return pinAll(dir, todo, this.spec.fileName);
  }

  /** Removes the pins the load created (reused pins stay). */
  unpinMaps(): void {
    for (const c of this.#created) if (c.pinPath !== undefined && !c.reused) rmSync(c.pinPath, { force: true });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes every map and program fd (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    forgotten.unregister(this);
    for (const p of this.programs.values()) p.close();
    for (const c of this.#created) {
      releaseGlobalData(c);
      c.map.close();
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Pins each `[name, pin]` under `dir` (created, must be on a bpffs); all or nothing. */
function pinAll(dir: string, items: readonly (readonly [string, (at: string) => void])[], fileName: string | undefined): string[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!isBpffs(dir)) throw new LoadError(`cannot pin in ${dir}: not on a BPF file system`, { fileName });
  const done: string[] = [];
  try {
    for (const [name, pin] of items) {
      const at = join(dir, name);
      pin(at);
      done.push(at);
    }
  } catch (e) {
    for (const p of done) rmSync(p, { force: true });
    throw new LoadError(`cannot pin in ${dir}: ${(e as Error).message}`, { fileName }, { cause: e });
  }
  return done;
}

/**
 * Loads a BPF object into the kernel: a path (parsed with `loadObjectSpec`) or a spec edited
 * beforehand. Throws `VerifierError` when a program is rejected, {@link LoadError} (with file,
 * program, map or extern) for everything else; nothing stays behind after a failure.
 *
 * @example
 * ```ts
 * const spec = await loadObjectSpec('bpf/globals.bpf.o');
 * spec.variables.get('target_pid')!.set(1234);
 * using obj = await loadObject(spec, { pinRoot: '/sys/fs/bpf/myapp' });
 * console.log([...obj.programs.keys()], [...obj.maps.keys()]);
 * ```
 */
export async function loadObject(specOrPath: ObjectSpec | string, options: LoadObjectOptions = {}): Promise<BpfObject> {
  const spec = typeof specOrPath === 'string' ? await loadObjectSpec(specOrPath) : specOrPath;
  return loadObjectSync(spec, options);
}

/** {@link loadObject} for a spec already in memory, without awaiting. */
export function loadObjectSync(spec: ObjectSpec, options: LoadObjectOptions = {}): BpfObject {
  const fileName = spec.fileName;
  const debug = options.debug;
  if (spec.endianness !== 'little') {
    throw new LoadError('object is big-endian; this kernel runs little-endian programs', { fileName });
  }
  const facts = options.facts ?? kernelFacts();
  const state: ObjectLoadState = {
    spec,
    facts,
    coreTarget: options.kernelBtf,
    debug,
    logLevel: options.logLevel ?? 0,
    programFilter: options.programs,
    programType: options.programType,
    btf: undefined,
    kconfigValue: undefined,
    ksyms: new Map(),
    moduleFds: new Map(),
    structOps: new Map(),
  };
  let created: CreatedMap[] = [];
  let programs: BpfProgram[] = [];
  try {
    resolveExterns(state);
    prepareStructOps(state);
    loadBtf(state);
    created = createMaps(spec.maps, {
      structOps: state.structOps,
      moduleBtfFd: (module) => moduleFd(state, module).fd,
      btfFd: state.btf?.fd.fd,
      pinRoot: options.pinRoot ?? DEFAULT_BPFFS,
      possibleCpus: possibleCpus().length,
      kconfigValue: state.kconfigValue,
      ...(options.replaceMaps === undefined ? {} : { replacements: options.replaceMaps }),
    });
    if (debug !== undefined) {
      for (const c of created) debug(`libbpf: map '${c.spec.name}': ${c.reused ? `reused pinned map at '${c.pinPath ?? ''}'` : 'created successfully'}, fd=${c.map.fd.fd}`);
    }
    programs = loadPrograms(state, created);
    initMapSlots(state, created, programs);
    const structOps = writeStructOps(state, created, programs);
    // Last: a pin must never show a map whose load did not finish (see pinCreatedMaps).
    pinCreatedMaps(created);
    return new BpfObject(spec, created, programs, structOps);
  } catch (e) {
    for (const p of programs) p.close();
    for (const c of created) c.map.close();
    throw e instanceof LoadError ? e.withFile(fileName) : e;
  } finally {
    state.btf?.fd.close();
    for (const fd of state.moduleFds.values()) fd.close();
  }
}
