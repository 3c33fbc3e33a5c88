import type { DataSection } from './data-section.js';

/** libbpf's `enum libbpf_pin_type`: the `pinning` attribute of a BTF map definition. */
export const PinType = { NONE: 0, BY_NAME: 1 } as const;
/** A `PinType` value. */
export type PinType = (typeof PinType)[keyof typeof PinType];

/** Where a map's definition came from. */
export type MapDefinitionSource = 'btf' | 'legacy' | 'internal' | 'struct_ops';

/** One function pointer of a struct_ops value and the program libbpf puts there at load. */
export interface StructOpsProgram {
  /** The struct member (`init`, `ssthresh`, ...). */
  readonly member: string;
  readonly program: string;
}

/**
 * A struct_ops map's value (`SEC(".struct_ops") struct tcp_congestion_ops x = {...}`): the
 * struct's name in the object's BTF, its initial bytes, and which programs fill its function
 * pointers. At load the value is translated to the kernel's `bpf_struct_ops_<name>` layout.
 */
export interface StructOpsSpec {
  readonly typeName: string;
  /** BTF id of the struct in the object's BTF. */
  readonly typeId: number;
  /** Initial value, laid out as the object's struct (function pointers are zero). */
  data: Uint8Array;
  programs: StructOpsProgram[];
}

/**
 * One initial slot of a prog array or map-in-map (`.values = { [i] = &x }`): at load, slot
 * `index` gets the fd of program or map `target`.
 */
export interface MapSlot {
  readonly index: number;
  readonly kind: 'program' | 'map';
  readonly target: string;
}

/** What {@link MapSpec} is constructed from. */
export interface MapSpecInit {
  readonly name: string;
  readonly source: MapDefinitionSource;
  readonly sectionName: string;
  readonly sectionIndex: number;
  readonly sectionOffset: number;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly numaNode: number;
  readonly pinning: number;
  readonly mapExtra: bigint;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  readonly btfVarId: number;
  readonly innerMap: MapSpec | undefined;
  readonly values: readonly MapSlot[];
  readonly data: DataSection | undefined;
  /** For struct_ops maps. */
  readonly structOps?: StructOpsSpec | undefined;
  /** Create this map at load (false for `SEC("?.struct_ops")`); defaults to true. */
  readonly autocreate?: boolean;
}

/**
 * A map as the object defines it (libbpf's `struct bpf_map` after open): the `BPF_MAP_CREATE`
 * attributes plus what libbpf does around creation (pinning, initial slots, initial contents of
 * global data). Plain and editable before load (`bpf_map__set_max_entries()` and friends).
 */
export class MapSpec {
  /** Map name as libbpf reports it (`bpf_map__name()`): the symbol, or `obj.rodata`-style for data. */
  readonly name: string;
  readonly source: MapDefinitionSource;
  /** ELF section of the definition (`.maps`, `maps`, `.rodata`, ... or `.kconfig`). */
  readonly sectionName: string;
  readonly sectionIndex: number;
  /** Offset of the definition inside its section (0 for internal maps). */
  readonly sectionOffset: number;
  /** `enum bpf_map_type`. */
  type: number;
  keySize: number;
  valueSize: number;
  /** 0 means "decide at load" for perf event arrays (number of CPUs). */
  maxEntries: number;
  /** `BPF_F_*` map flags. */
  flags: number;
  numaNode: number;
  /** A `PinType` value. */
  pinning: number;
  mapExtra: bigint;
  /** BTF id of the key type (`__type(key, ...)`), 0 when none. */
  btfKeyTypeId: number;
  /** BTF id of the value type (or the DATASEC of a data map), 0 when none. */
  btfValueTypeId: number;
  /** BTF id of the map's VAR in `.maps` (0 for legacy and internal maps). */
  readonly btfVarId: number;
  /** The inner map template of a map-in-map. */
  innerMap: MapSpec | undefined;
  /** Initial prog-array / map-in-map slots. */
  values: MapSlot[];
  /** For internal maps: the data section holding the initial value and variables. */
  readonly data: DataSection | undefined;
  /** For struct_ops maps: the value and the programs in it. */
  readonly structOps: StructOpsSpec | undefined;
  /** Create this map at load (libbpf's `bpf_map__set_autocreate()`). */
  autocreate: boolean;

  constructor(init: MapSpecInit) {
    this.name = init.name;
    this.source = init.source;
    this.sectionName = init.sectionName;
    this.sectionIndex = init.sectionIndex;
    this.sectionOffset = init.sectionOffset;
    this.type = init.type;
    this.keySize = init.keySize;
    this.valueSize = init.valueSize;
    this.maxEntries = init.maxEntries;
    this.flags = init.flags;
    this.numaNode = init.numaNode;
    this.pinning = init.pinning;
    this.mapExtra = init.mapExtra;
    this.btfKeyTypeId = init.btfKeyTypeId;
    this.btfValueTypeId = init.btfValueTypeId;
    this.btfVarId = init.btfVarId;
    this.innerMap = init.innerMap;
    this.values = [...init.values];
    this.data = init.data;
    this.structOps = init.structOps;
    this.autocreate = init.autocreate ?? true;
  }

  /** True for the maps libbpf synthesizes from global data and `.kconfig` (`bpf_map__is_internal()`). */
  get internal(): boolean {
    return this.source === 'internal';
  }

  /** The initial value of an internal map's single element (a copy), `undefined` for other maps. */
  initialValue(): Uint8Array | undefined {
    return this.data === undefined ? undefined : new Uint8Array(this.data.bytes);
  }

  /**
   * A deep copy. `data` is replaced by `dataCopy` when given (the object clone passes the cloned
   * section so variables and the map keep sharing bytes).
   */
  clone(dataCopy?: DataSection): MapSpec {
    return new MapSpec({
      ...this,
      innerMap: this.innerMap?.clone(),
      values: this.values.map((v) => ({ ...v })),
      data: dataCopy ?? this.data?.clone(),
      structOps:
        this.structOps === undefined
          ? undefined
          : { ...this.structOps, data: new Uint8Array(this.structOps.data), programs: this.structOps.programs.map((p) => ({ ...p })) },
    });
  }
}
