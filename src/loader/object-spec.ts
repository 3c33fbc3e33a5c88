/**
 * `parseObjectSpec()`: libbpf's `bpf_object__open()` as a pure function. Phases, named after
 * libbpf's: collect ELF -> collect externs -> collect maps (BTF-defined, legacy, global data,
 * .kconfig) -> collect programs -> collect relocations (+ .BTF.ext func/line info and CO-RE).
 */
import type { Btf } from '../btf/btf.js';
import type { Endianness } from '../elf/constants.js';
import { parseElf } from '../elf/parse.js';
import { collectBtfExt } from './collect-btf-ext.js';
import { collectElf } from './collect-elf.js';
import { collectExterns, type ExternSpec } from './collect-externs.js';
import { collectGlobalData, internalMapSpec } from './collect-globals.js';
import { collectBtfMaps, collectLegacyMaps } from './collect-maps.js';
import { collectPrograms } from './collect-programs.js';
import { collectRelocations } from './collect-relocations.js';
import { collectStructOpsMaps } from './collect-struct-ops.js';
import type { DataSection, VariableSpec } from './data-section.js';
import type { MapSpec } from './map-spec.js';
import type { ProgramSpec } from './program-spec.js';

/** Options of {@link parseObjectSpec}. */
export interface ParseObjectSpecOptions {
  /** Named in errors; its base name up to the first `.` names the internal maps (`obj.rodata`). */
  readonly fileName?: string;
  /** Override the object name libbpf derives from the file name (`bpf_object_open_opts.object_name`). */
  readonly objectName?: string;
  /**
   * Accept unknown members in BTF map definitions (libbpf's `relaxed_maps`). Default `false`:
   * an unknown member is an error, as in libbpf.
   */
  readonly relaxedMaps?: boolean;
}

/** What {@link ObjectSpec} is constructed from. */
export interface ObjectSpecInit {
  readonly fileName: string | undefined;
  readonly objectName: string;
  readonly endianness: Endianness;
  readonly license: string;
  readonly kernelVersion: number | undefined;
  readonly btf: Btf | undefined;
  readonly programs: readonly ProgramSpec[];
  readonly subprograms: readonly ProgramSpec[];
  readonly maps: readonly MapSpec[];
  readonly dataSections: readonly DataSection[];
  readonly externs: readonly ExternSpec[];
}

/**
 * A parsed BPF object: everything needed to load it, as plain editable data, and nothing tied to
 * the kernel. Set global variables, change map sizes or disable programs here, then load.
 *
 * @example
 * ```ts
 * const spec = await loadObjectSpec('bpf/globals.bpf.o');
 * spec.variables.get('target_pid')?.set(1234);
 * spec.program('count_openat')?.autoload;          // true
 * spec.map('globals.rodata')?.initialValue();       // the bytes the map will be created with
 * ```
 */
export class ObjectSpec {
  readonly fileName: string | undefined;
  /** libbpf's object name (`bpf_object__name()`), used to name internal maps. */
  readonly objectName: string;
  /** Byte order of the object (and of its instructions). */
  readonly endianness: Endianness;
  /** The `license` section's string, `''` when there is none. */
  license: string;
  /** The `version` section (`LINUX_VERSION_CODE` of old kprobe objects), when present. */
  kernelVersion: number | undefined;
  /** The object's own BTF (`.BTF`), when present. Shared, not copied, by `clone()`: it is read-only. */
  readonly btf: Btf | undefined;
  /** Entry programs, in section order then offset order. */
  readonly programs: ProgramSpec[];
  /** `.text` functions (bpf-to-bpf callees, callbacks), in offset order. */
  readonly subprograms: ProgramSpec[];
  /**
   * User maps (`.maps` in DATASEC order, then legacy `maps`), internal data maps, `.kconfig`,
   * then struct_ops maps: libbpf's order.
   */
  readonly maps: MapSpec[];
  /** Global data sections and the `.kconfig` area, in the order of their maps. */
  readonly dataSections: DataSection[];
  readonly externs: ExternSpec[];

  constructor(init: ObjectSpecInit) {
    this.fileName = init.fileName;
    this.objectName = init.objectName;
    this.endianness = init.endianness;
    this.license = init.license;
    this.kernelVersion = init.kernelVersion;
    this.btf = init.btf;
    this.programs = [...init.programs];
    this.subprograms = [...init.subprograms];
    this.maps = [...init.maps];
    this.dataSections = [...init.dataSections];
    this.externs = [...init.externs];
  }

  /**
   * Every named variable of every data section (and `.kconfig` extern), by name. A static
   * variable whose name repeats in another section is reachable through `dataSections` only.
   */
  get variables(): ReadonlyMap<string, VariableSpec> {
    const result = new Map<string, VariableSpec>();
    for (const d of this.dataSections) for (const v of d.variables) if (!result.has(v.name)) result.set(v.name, v);
    return result;
  }

  /** The entry program called `name`. */
  program(name: string): ProgramSpec | undefined {
    return this.programs.find((p) => p.name === name);
  }

  /** The map called `name` (`bpf_map__name()`; internal maps by their `obj.rodata`-style name). */
  map(name: string): MapSpec | undefined {
    return this.maps.find((m) => m.name === name);
  }

  /** A deep copy: editing the copy's programs, maps or variables leaves this spec untouched. */
  clone(): ObjectSpec {
    const sections = new Map<DataSection, DataSection>();
    for (const d of this.dataSections) sections.set(d, d.clone());
    return new ObjectSpec({
      ...this,
      programs: this.programs.map((p) => p.clone()),
      subprograms: this.subprograms.map((p) => p.clone()),
      maps: this.maps.map((m) => m.clone(m.data === undefined ? undefined : sections.get(m.data))),
      dataSections: [...sections.values()],
      externs: this.externs.map((e) => ({ ...e })),
    });
  }
}

/**
 * Parses a BPF ELF object (clang `-target bpf` output) into an {@link ObjectSpec}, following
 * libbpf's conventions (SEC() names, BTF-defined maps, global data maps, externs). Pure: no
 * kernel, no file system. Throws `ElfError` for malformed ELF, `BtfError` for malformed BTF
 * records, `ObjectSpecError` for everything libbpf would refuse at open time.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const spec = parseObjectSpec(readFileSync('bpf/maps.bpf.o'), { fileName: 'maps.bpf.o' });
 * for (const m of spec.maps) console.log(m.name, m.type, m.keySize, m.valueSize, m.maxEntries);
 * for (const p of spec.programs) console.log(p.name, p.section, p.type, p.insnCount);
 * ```
 */
export function parseObjectSpec(bytes: Uint8Array, options: ParseObjectSpecOptions = {}): ObjectSpec {
  const elf = parseElf(bytes, options.fileName === undefined ? {} : { fileName: options.fileName });
  const collected = collectElf(elf, options.fileName);
  const ctx = options.objectName === undefined ? collected : { ...collected, objectName: options.objectName };

  const { externs, kconfig } = collectExterns(ctx);
  const globals = collectGlobalData(ctx);
  const dataSections = kconfig === undefined ? globals : [...globals, kconfig];
  const userMaps = [...collectBtfMaps(ctx, options.relaxedMaps !== true), ...collectLegacyMaps(ctx)];
  // Like libbpf, names may repeat (custom data sections truncated to 15 characters); data
  // relocations therefore also name their ELF section.
  const maps = [...userMaps, ...dataSections.map((d) => internalMapSpec(d))];

  const { programs, subprograms } = collectPrograms(ctx);
  maps.push(...collectStructOpsMaps(ctx, programs));
  collectRelocations(ctx, { programs, subprograms, maps, dataSections, externs });
  collectBtfExt(ctx, [...programs, ...subprograms]);

  return new ObjectSpec({
    fileName: ctx.fileName,
    objectName: ctx.objectName,
    endianness: elf.endianness,
    license: ctx.license,
    kernelVersion: ctx.kernelVersion,
    btf: ctx.btf,
    programs,
    subprograms,
    maps,
    dataSections,
    externs,
  });
}
