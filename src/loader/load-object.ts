/**
 * The phases of `loadObject()` after the spec is parsed, named after libbpf's:
 * `resolveExterns` (kconfig values, ksyms, kfuncs), `loadBtf`, `loadPrograms` (per program:
 * `appendSubprograms`, CO-RE, `relocateInstructions`, `loadProgram`, bind `.rodata`) and
 * `initMapSlots` (prog arrays and map-in-map `.values`).
 */
import type { Btf } from '../btf/btf.js';
import { CoreCandidateCache, type CoreTarget } from '../btf/core/candidates.js';
import { relocateCore, type CoreRelocationResult } from '../btf/core/relocate-core.js';
import type { BpfMap } from '../maps/map.js';
import { AttrWriter } from '../sys/attr.js';
import { BpfCmd, bpfSyscall } from '../sys/bpf.js';
import type { OwnedFd } from '../sys/fd.js';
import { ProgType } from '../sys/uapi.js';
import type { CreatedMap } from './create-maps.js';
import { resolveKsyms, type ResolvedExtern } from './externs-resolve.js';
import { needsKernelConfig, resolveKconfig } from './kconfig.js';
import type { KernelFacts } from './kernel-facts.js';
import { openModuleBtfFd } from './kernel-facts-btf-fd.js';
import { kernelCoreTargets } from './kernel-core-targets.js';
import { probeBtfFeatures } from './kernel-facts-btf-features.js';
import { loadProgramBtf, type ProgramBtf } from './load-btf.js';
import { LoadError } from './load-errors.js';
import { encodeFuncInfo, encodeLineInfo, loadProgram, resolveAttachTarget } from './load-program.js';
import type { ObjectSpec } from './object-spec.js';
import type { ProgramSpec } from './program-spec.js';
import { BpfProgram } from './program.js';
import { prefetchKernelNames } from './prefetch-kernel-names.js';
import { appendSubprograms, coreRelocations, relocateInstructions, type RelocationTargets } from './relocate-program.js';
import { CoreRelocationKind } from './relocations.js';
import { structOpsAttachments, structOpsKernelBtfs, structOpsLayout, structOpsValue, type StructOpsLayout } from './struct-ops.js';

/** What the phases share while one object loads. */
export interface ObjectLoadState {
  readonly spec: ObjectSpec;
  readonly facts: KernelFacts;
  /** Custom CO-RE target BTF (else vmlinux and modules). */
  readonly coreTarget: Btf | undefined;
  readonly debug: ((line: string) => void) | undefined;
  readonly logLevel: number;
  readonly programFilter: readonly string[] | undefined;
  readonly programType: { readonly type: number; readonly expectedAttachType: number } | undefined;
  btf: { readonly fd: OwnedFd; readonly btf: ProgramBtf } | undefined;
  kconfigValue: Uint8Array | undefined;
  ksyms: Map<string, ResolvedExtern>;
  /** Module BTF fds opened for kfuncs, ksyms and attach targets; closed after the load. */
  readonly moduleFds: Map<string, OwnedFd>;
  /** Kernel layouts of the struct_ops maps that will be created, by map name. */
  structOps: Map<string, StructOpsLayout>;
}

/** libbpf's `bpf_object__resolve_externs()`: `.kconfig` values, then ksyms and kfuncs. */
export function resolveExterns(state: ObjectLoadState): void {
  const { spec, facts } = state;
  const kconfig = spec.dataSections.find((d) => d.kind === 'kconfig');
  if (kconfig !== undefined) {
    state.kconfigValue = resolveKconfig(spec.externs, kconfig.bytes.length, {
      config: needsKernelConfig(spec.externs) ? facts.kernelConfig() : new Map(),
      kernelVersion: facts.kernelVersion(),
      hasSyscallWrapper: spec.externs.some((e) => e.essentialName === 'LINUX_HAS_SYSCALL_WRAPPER') && facts.hasSyscallWrapper(),
      hasBpfCookie: spec.externs.some((e) => e.essentialName === 'LINUX_HAS_BPF_COOKIE') && facts.hasBpfCookie(),
    });
  }
  state.ksyms = resolveKsyms(spec.externs, facts);
  if (state.debug !== undefined) {
    for (const [name, r] of state.ksyms) {
      const what = r === undefined ? 'not found (weak): 0' : r.kind === 'address' ? `0x${r.address.toString(16)}` : `${r.target.module ?? 'vmlinux'} [${r.target.btfId}]`;
      state.debug(`libbpf: extern (ksym) '${name}': resolved to ${what}`);
    }
  }
}

/** libbpf's `bpf_object__sanitize_and_load_btf()`; a refused BTF is dropped with a debug line. */
export function loadBtf(state: ObjectLoadState): void {
  const btf = state.spec.btf;
  if (btf === undefined) return;
  const r = loadProgramBtf(state.spec, btf, probeBtfFeatures);
  if (r.ok) {
    state.btf = { fd: r.fd, btf: r.btf };
    state.debug?.(`libbpf: loaded object BTF${r.sanitized ? ' (sanitized)' : ''}, fd=${r.fd.fd}`);
  } else {
    state.debug?.(`libbpf: Error loading .BTF into kernel: ${r.reason}. BTF is optional, ignoring.`);
  }
}

/**
 * libbpf's `bpf_object__init_kern_struct_ops_maps()`: every struct_ops map that will be created,
 * laid out in the kernel's `bpf_struct_ops_<name>` (before any map or program exists, so a
 * mismatch fails early).
 */
export function prepareStructOps(state: ObjectLoadState): void {
  const maps = state.spec.maps.filter((m) => m.autocreate && m.structOps !== undefined);
  if (maps.length === 0) return;
  const btf = state.spec.btf;
  if (btf === undefined) throw new LoadError("struct_ops maps need the object's BTF", { map: maps[0]?.name });
  // The kernel's own types, never a CO-RE target's: the map is created in this kernel.
  const kernel = structOpsKernelBtfs(state.facts);
  for (const m of maps) state.structOps.set(m.name, structOpsLayout(m, btf, kernel));
}

/** The fd of a module's BTF object, opened once per load. */
export function moduleFd(state: ObjectLoadState, module: string): OwnedFd {
  let fd = state.moduleFds.get(module);
  if (fd === undefined) {
    fd = openModuleBtfFd(module);
    if (fd === undefined) throw new LoadError(`module '${module}' has BTF in sysfs but no kernel BTF object`);
    state.moduleFds.set(module, fd);
  }
  return fd;
}

/** `BPF_PROG_BIND_MAP`: keeps `.rodata` alive with the program even if it never references it. */
function bindMap(progFd: number, map: BpfMap): void {
  const attr = new AttrWriter(12).u32(0, progFd).u32(4, map.fd.fd);
  bpfSyscall(BpfCmd.PROG_BIND_MAP, attr.bytes, `BPF_PROG_BIND_MAP '${map.name}'`);
}

/**
 * libbpf's `bpf_object__relocate()` + `bpf_object__load_progs()`: every autoloaded program
 * linked, CO-RE-relocated, relocated and loaded. On failure, closes what it loaded and throws.
 */
export function loadPrograms(state: ObjectLoadState, created: readonly CreatedMap[]): BpfProgram[] {
  const { spec, facts } = state;
  const byName = new Map<string, CreatedMap>();
  const bySection = new Map<string, CreatedMap>();
  for (const c of created) {
    if (c.spec.data !== undefined) bySection.set(c.spec.data.name, c);
    else if (!byName.has(c.spec.name)) byName.set(c.spec.name, c);
  }
  const kconfigMap = created.find((c) => c.spec.data?.kind === 'kconfig');
  const externIndex = new Map(spec.externs.map((e, i) => [e.name, i]));
  const fdArray: number[] = [0];
  const fdSlots = new Map<string, number>();
  const targets: RelocationTargets = {
    mapFd: (name) => byName.get(name)?.map.fd.fd,
    dataMapFd: (section) => bySection.get(section)?.map.fd.fd,
    kconfig: (name) => {
      const e = spec.externs.find((x) => x.name === name);
      if (kconfigMap === undefined || e?.kconfig === undefined) return undefined;
      return { fd: kconfigMap.map.fd.fd, offset: e.kconfig.offset };
    },
    kfunc: (name) => {
      const r = state.ksyms.get(name);
      if (r === undefined || r.kind !== 'btf') return undefined;
      const module = r.target.module;
      if (module === undefined) return { btfId: r.target.btfId, fdIndex: 0 };
      let slot = fdSlots.get(module);
      if (slot === undefined) {
        slot = fdArray.length;
        fdArray.push(moduleFd(state, module).fd);
        fdSlots.set(module, slot);
      }
      return { btfId: r.target.btfId, fdIndex: slot };
    },
    ksym: (name) => {
      const r = state.ksyms.get(name);
      if (r === undefined) return undefined;
      if (r.kind === 'address') return r;
      return { kind: 'btf', btfId: r.target.btfId, btfObjFd: r.target.module === undefined ? 0 : moduleFd(state, r.target.module).fd };
    },
    externIndex: (name) => externIndex.get(name) ?? 0,
  };
  const rodata = created.filter((c) => c.spec.data?.kind === 'rodata').map((c) => c.map);
  const mapNames = created.map((c) => c.spec.name);
  const externNames = spec.externs.map((e) => e.name);
  const coreCache = new CoreCandidateCache();
  let coreTargetList: CoreTarget[] | undefined;
  const coreTargets = (): CoreTarget[] => (coreTargetList ??= state.coreTarget !== undefined ? [{ name: 'vmlinux', btf: state.coreTarget }] : kernelCoreTargets(facts));
  const kernVersion = spec.kernelVersion ?? facts.kernelVersion();
  const structOps = structOpsAttachments([...state.structOps.values()]);

  const willLoad = (p: ProgramSpec): boolean => (state.programFilter !== undefined ? state.programFilter.includes(p.name) : p.autoload);
  const override = state.programType;
  const withTypeOverride = (p: ProgramSpec): ProgramSpec => (override === undefined ? p : Object.assign(p.clone(), { type: override.type, expectedAttachType: override.expectedAttachType }));
  prefetchKernelNames({
    localBtf: spec.btf,
    programs: spec.programs.filter(willLoad).map(withTypeOverride),
    subprograms: spec.subprograms,
    coreTarget: state.coreTarget,
    vmlinux: (names) => facts.vmlinuxBtf(names),
  });

  const loaded: BpfProgram[] = [];
  try {
    for (const p of spec.programs) {
      if (!willLoad(p)) {
        state.debug?.(`libbpf: prog '${p.name}': skipped loading`);
        continue;
      }
      let prog = withTypeOverride(p);
      let attach: ReturnType<typeof resolveAttachTarget>;
      if (prog.type === ProgType.STRUCT_OPS) {
        const so = structOps.get(p.name);
        if (so === undefined) {
          // libbpf's bpf_object_adjust_struct_ops_autoload(): a struct_ops program no created map
          // uses has no attach point, so it is not loaded (a `?.struct_ops` map's programs).
          state.debug?.(`libbpf: prog '${p.name}': skipped loading (no created struct_ops map uses it)`);
          continue;
        }
        // The kernel checks the program against member `memberIndex` of the struct (libbpf sets these in bpf_map__init_kern_struct_ops).
        prog = Object.assign(prog === p ? p.clone() : prog, { expectedAttachType: so.memberIndex });
        attach = { btfId: so.btfId, module: so.module };
      } else {
        attach = resolveAttachTarget(prog, facts);
      }
      if (prog.type === ProgType.UNSPEC) {
        // libbpf refuses these at open ("failed to guess program type"); the spec keeps them editable.
        throw new LoadError(`section '${prog.section}' names no known program type: set the spec's type, or turn autoload off`, { program: p.name });
      }
      const linked = appendSubprograms(prog, spec.subprograms);
      let instructions = linked.instructions;
      const core = coreRelocations(linked);
      let coreResults: readonly CoreRelocationResult[] = [];
      if (core.length > 0) {
        if (spec.btf === undefined) throw new LoadError('CO-RE relocations need the object BTF', { program: p.name });
        const out = relocateCore({
          localBtf: spec.btf,
          targets: coreTargets(),
          instructions,
          coreRelos: core.map((r) => ({ insnIndex: r.insnIndex, typeId: r.typeId, accessString: r.accessor, kind: CoreRelocationKind[r.coreKind] })),
          candidateCache: coreCache,
          program: p.name,
        });
        instructions = out.instructions;
        coreResults = out.results;
        if (state.debug !== undefined) {
          // The spec's text starts with the kind (`<byte_off> [id] ...`), as libbpf's relo lines do.
          for (const r of out.results) {
            state.debug(`libbpf: prog '${p.name}': relo #${r.index}: insn #${r.insnIndex} ${r.localSpec.text}: ${r.poisoned ? 'poisoned' : `${r.origValue} -> ${r.newValue}`}`);
          }
        }
      }
      const relocated = relocateInstructions({ ...linked, instructions }, targets);
      const strings = state.btf?.btf.strings;
      const { fd, log } = loadProgram({
        spec: prog,
        instructions: relocated,
        license: spec.license,
        kernVersion,
        btfFd: state.btf?.fd.fd,
        funcInfo: state.btf === undefined ? undefined : encodeFuncInfo(linked.funcInfo),
        lineInfo: strings === undefined ? undefined : encodeLineInfo(linked.lineInfo, strings),
        attach,
        attachBtfObjFd: attach?.module === undefined ? undefined : moduleFd(state, attach.module).fd,
        fdArray: fdArray.length > 1 ? fdArray : undefined,
        logLevel: state.logLevel,
        fileName: spec.fileName,
        explain: {
          coreFailures: coreResults.filter((r) => r.poisoned).map((r) => ({ insnIndex: r.insnIndex, description: r.description })),
          mapNames,
          externNames,
          lineInfo: linked.lineInfo,
        },
        ...(state.debug === undefined ? {} : { onLog: (text: string) => state.debug?.(`libbpf: prog '${p.name}': BPF program load log:\n${text}`) }),
      });
      const program = new BpfProgram(fd, {
        name: p.name,
        section: p.section,
        type: prog.type,
        expectedAttachType: prog.expectedAttachType,
        attachBtfId: attach?.btfId ?? 0,
        log,
      });
      loaded.push(program);
      state.debug?.(`libbpf: prog '${p.name}': loaded (${relocated.length / 8} insns), fd=${program.fd}`);
      for (const m of rodata) {
        try {
          bindMap(program.fd, m);
        } catch (e) {
          // libbpf only warns: the program references the map anyway when it reads it.
          state.debug?.(`libbpf: prog '${p.name}': failed to bind map '${m.name}': ${(e as Error).message}`);
        }
      }
    }
  } catch (e) {
    for (const p of loaded) p.close();
    throw e;
  }
  return loaded;
}

/**
 * libbpf's `init_prog_array_slots()` and `init_map_in_map_slots()`: `.values = { [i] = &x }`
 * entries written with the fds of the loaded programs and created maps. Maps reused from a
 * pin are left as they are.
 */
export function initMapSlots(state: ObjectLoadState, created: readonly CreatedMap[], programs: readonly BpfProgram[]): void {
  const progs = new Map(programs.map((p) => [p.name, p]));
  const maps = new Map(created.filter((c) => c.spec.data === undefined).map((c) => [c.spec.name, c.map]));
  for (const c of created) {
    if (c.reused || c.spec.values.length === 0) continue;
    for (const slot of c.spec.values) {
      let fd: number;
      if (slot.kind === 'program') {
        const p = progs.get(slot.target);
        if (p === undefined) {
          // libbpf fails here too: the slot's program was not loaded (autoload off).
          throw new LoadError(`slot ${slot.index}: program '${slot.target}' was not loaded`, { map: c.spec.name });
        }
        fd = p.fd;
      } else {
        const m = maps.get(slot.target);
        if (m === undefined) throw new LoadError(`slot ${slot.index}: map '${slot.target}' was not created`, { map: c.spec.name });
        fd = m.fd.fd;
      }
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, slot.index, true);
      try {
        c.map.updateFd(key, fd);
      } catch (e) {
        throw new LoadError(`cannot set slot ${slot.index} to ${slot.kind} '${slot.target}': ${(e as Error).message}`, { map: c.spec.name }, { cause: e });
      }
      state.debug?.(`libbpf: map '${c.spec.name}': slot [${slot.index}] set to ${slot.kind} '${slot.target}' fd=${fd}`);
    }
  }
}

/**
 * A created struct_ops map with its value (program fds filled in) and whether it is a
 * `.struct_ops.link` map (`BPF_F_LINK`).
 */
export interface StructOpsMap {
  readonly name: string;
  readonly map: BpfMap;
  readonly link: boolean;
  readonly value: Uint8Array;
}

/** `BPF_F_LINK`. */
const BPF_F_LINK = 1 << 13;

/**
 * Computes each created struct_ops map's value (libbpf's `bpf_map_prepare_vdata`: the layout
 * with the fds of its loaded programs) and writes it (`BPF_MAP_UPDATE_ELEM` key 0) into the
 * `.struct_ops.link` maps, where the write only prepares the trampolines: registration waits for
 * a `BPF_LINK_CREATE` on the map. A `.struct_ops` map (no `BPF_F_LINK`) is NOT written here:
 * for it the write is the registration, which holds its own map reference and outlives every fd
 * until the element is deleted, so it belongs to `attachStructOps` (as in libbpf, whose
 * `bpf_map__attach_struct_ops` does the update).
 */
export function writeStructOps(state: ObjectLoadState, created: readonly CreatedMap[], programs: readonly BpfProgram[]): StructOpsMap[] {
  const fds = new Map(programs.map((p) => [p.name, p.fd]));
  const out: StructOpsMap[] = [];
  for (const c of created) {
    const layout = state.structOps.get(c.spec.name);
    if (layout === undefined || c.spec.structOps === undefined) continue;
    const value = structOpsValue(layout, (name) => fds.get(name));
    const link = (c.spec.flags & BPF_F_LINK) !== 0;
    if (link) {
      try {
        c.map.update(new Uint8Array(4), value);
      } catch (e) {
        throw new LoadError(`cannot write the struct_ops value: ${(e as Error).message}`, { map: c.spec.name }, { cause: e });
      }
      state.debug?.(`libbpf: map '${c.spec.name}': struct_ops value written (${layout.programs.length} programs)`);
    }
    out.push({ name: c.spec.name, map: c.map, link, value });
  }
  return out;
}
