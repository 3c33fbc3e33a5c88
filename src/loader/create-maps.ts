/**
 * libbpf's `bpf_object__create_maps()`: every map of the spec created (or reused from a pin by
 * name), with libbpf's adjustments (perf event arrays sized to the possible CPUs, ring buffers
 * rounded to a power-of-2 number of pages, BTF dropped for map types that take none, a retry
 * without BTF), internal maps filled with their section bytes and `.rodata`/`.kconfig` frozen.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BpfMap } from '../maps/map.js';
import { errnoHint, NotSupportedError } from '../sys/errors.js';
import { OwnedFd } from '../sys/fd.js';
import { probeMapType } from '../sys/feature-probe.js';
import type { MapInfo } from '../sys/info.js';
import { MapCreateFlag, tryMapCreate, type MapCreateOptions } from '../sys/map-create.js';
import { native } from '../sys/native.js';
import { MapType, MapTypeName } from '../sys/uapi.js';
import { LoadError, MapPinMismatchError } from './load-errors.js';
import { PinType, type MapSpec } from './map-spec.js';
import type { StructOpsLayout } from './struct-ops.js';

/** Map types libbpf creates without BTF key/value types (`bpf_object__create_map`). */
const NO_BTF_TYPES: ReadonlySet<number> = new Set([
  MapType.PERF_EVENT_ARRAY,
  MapType.CGROUP_ARRAY,
  MapType.STACK_TRACE,
  MapType.ARRAY_OF_MAPS,
  MapType.HASH_OF_MAPS,
  MapType.DEVMAP,
  MapType.DEVMAP_HASH,
  MapType.CPUMAP,
  MapType.XSKMAP,
  MapType.SOCKMAP,
  MapType.SOCKHASH,
  MapType.QUEUE,
  MapType.STACK,
  MapType.ARENA,
]);

/** Inputs of {@link createMaps}. */
export interface CreateMapsOptions {
  /** The loaded program BTF, when there is one. */
  readonly btfFd: number | undefined;
  /** Directory of `LIBBPF_PIN_BY_NAME` maps. */
  readonly pinRoot: string;
  /** Number of possible CPUs (perf event arrays with `max_entries` 0). */
  readonly possibleCpus: number;
  /** The resolved `.kconfig` value (the spec's section holds only zeros). */
  readonly kconfigValue: Uint8Array | undefined;
  /** Existing maps to use instead of creating these (by spec map name; libbpf's `bpf_map__reuse_fd`). */
  readonly replacements?: ReadonlyMap<string, BpfMap>;
  /** Kernel layouts of the struct_ops maps to create, by map name (`structOpsLayout`). */
  readonly structOps?: ReadonlyMap<string, StructOpsLayout>;
  /** fd of a module's BTF, for struct_ops types that live in a module. */
  readonly moduleBtfFd?: (module: string) => number;
}

/** The attributes a map is created with after libbpf's adjustments. */
export interface MapAttributes {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
}

/** A created or reused map, and where it is pinned (when pinned by name). */
export interface CreatedMap {
  readonly spec: MapSpec;
  readonly map: BpfMap;
  /** The map came from an existing pin. */
  readonly reused: boolean;
  /**
   * The pin path (`LIBBPF_PIN_BY_NAME`): where a reused map is pinned, or where a created one is
   * pinned by {@link pinCreatedMaps} once the whole object has loaded.
   */
  readonly pinPath: string | undefined;
}

/** libbpf's `adjust_ringbuf_sz()`: the smallest power-of-2 multiple of the page size >= `size`. */
export function ringbufSize(size: number, pageSize: number): number {
  if (size === 0) return 0;
  let mul = 1;
  while (mul * pageSize < size) mul *= 2;
  return mul * pageSize;
}

/** The attributes a spec's map will really be created with. */
export function effectiveAttributes(spec: MapSpec, cpus: number, pageSize: number): MapAttributes {
  let maxEntries = spec.maxEntries;
  if (spec.type === MapType.PERF_EVENT_ARRAY && maxEntries === 0) maxEntries = cpus;
  if (spec.type === MapType.RINGBUF || spec.type === MapType.USER_RINGBUF) maxEntries = ringbufSize(maxEntries, pageSize);
  return { name: spec.name, type: spec.type, keySize: spec.keySize, valueSize: spec.valueSize, maxEntries, flags: spec.flags };
}

/** libbpf's `map_is_reuse_compat()`: the fields that must match, as `field: pinned vs spec`. */
export function pinDifferences(info: MapInfo, want: MapAttributes, mapExtra: bigint): string[] {
  const out: string[] = [];
  const cmp = (field: string, a: number | bigint, b: number | bigint): void => {
    if (a !== b) out.push(`${field}: pinned ${a} vs object ${b}`);
  };
  cmp('type', info.type, want.type);
  cmp('key_size', info.keySize, want.keySize);
  cmp('value_size', info.valueSize, want.valueSize);
  cmp('max_entries', info.maxEntries, want.maxEntries);
  cmp('map_flags', info.mapFlags, want.flags);
  cmp('map_extra', info.mapExtra, mapExtra);
  return out;
}

/** BPF object names are at most 15 bytes (`BPF_OBJ_NAME_LEN` - 1). */
function kernelName(name: string): string {
  return name.slice(0, 15);
}

/** Creates one map (and its inner template, closed afterwards): `BPF_MAP_CREATE` with the BTF retry. */
export function createMap(spec: MapSpec, attrs: MapAttributes, options: Pick<CreateMapsOptions, 'btfFd' | 'possibleCpus'>): OwnedFd {
  let inner: OwnedFd | undefined;
  try {
    if (spec.innerMap !== undefined) {
      const innerAttrs = effectiveAttributes(spec.innerMap, options.possibleCpus, native().pageSize());
      inner = createMap(spec.innerMap, innerAttrs, options);
    }
    const useBtf = options.btfFd !== undefined && !NO_BTF_TYPES.has(spec.type) && (spec.btfKeyTypeId !== 0 || spec.btfValueTypeId !== 0);
    const base: MapCreateOptions = {
      type: spec.type,
      keySize: attrs.keySize,
      valueSize: attrs.valueSize,
      maxEntries: attrs.maxEntries,
      flags: attrs.flags | (spec.numaNode !== 0 ? MapCreateFlag.NUMA_NODE : 0),
      name: kernelName(spec.name),
      numaNode: spec.numaNode,
      mapExtra: spec.mapExtra,
      ...(inner === undefined ? {} : { innerMapFd: inner.fd }),
    };
    let r = tryMapCreate(useBtf ? { ...base, btfFd: options.btfFd as number, btfKeyTypeId: spec.btfKeyTypeId, btfValueTypeId: spec.btfValueTypeId } : base);
    // libbpf retries without BTF: older kernels reject some key/value types (e.g. a DATASEC value).
    if (!r.ok && useBtf) r = tryMapCreate(base);
    if (!r.ok) {
      // EINVAL for a map type the kernel does not have (cgrp_storage before 6.2): the feature
      // probe tells that apart from bad attributes.
      if (r.code === 'EINVAL' && !mapTypeAvailable(spec.type)) {
        const typeName = MapTypeName.get(spec.type) ?? `type ${spec.type}`;
        throw new NotSupportedError(`map type ${typeName}`, `map '${spec.name}': the kernel has no ${typeName} maps (BPF_MAP_CREATE failed with EINVAL, and so does the smallest ${typeName} map)`, { cause: r.cause });
      }
      throw new LoadError(`BPF_MAP_CREATE failed: ${r.code} (${r.cause.message})${permissionHint(r.code)}`, { map: spec.name }, { cause: r.cause });
    }
    return new OwnedFd(r.fd, `map ${spec.name}`);
  } finally {
    inner?.close();
  }
}

/**
 * `BPF_MAP_CREATE` of a struct_ops map (libbpf's `bpf_object__create_map` for them): the value is
 * the kernel's `bpf_struct_ops_<name>`, named by `btf_vmlinux_value_type_id` (plus
 * `value_type_btf_obj_fd` for a module's type); the kernel insists on the object's BTF fd but
 * no key/value type ids. The value is written after the programs load.
 */
export function createStructOpsMap(spec: MapSpec, layout: StructOpsLayout, options: Pick<CreateMapsOptions, 'btfFd' | 'moduleBtfFd'>): OwnedFd {
  if (options.btfFd === undefined) throw new LoadError("struct_ops maps need the object's BTF, which was not loaded", { map: spec.name });
  let flags = spec.flags;
  let moduleFd: number | undefined;
  if (layout.module !== undefined) {
    const get = options.moduleBtfFd;
    if (get === undefined) throw new LoadError(`struct_ops type is in module '${layout.module}', whose BTF fd is not available`, { map: spec.name });
    moduleFd = get(layout.module);
    flags |= MapCreateFlag.VTYPE_BTF_OBJ_FD;
  }
  const r = tryMapCreate({
    type: MapType.STRUCT_OPS,
    keySize: 4,
    valueSize: layout.valueSize,
    maxEntries: 1,
    flags,
    name: kernelName(spec.name),
    btfFd: options.btfFd,
    btfVmlinuxValueTypeId: layout.valueTypeId,
    ...(moduleFd === undefined ? {} : { valueTypeBtfObjFd: moduleFd }),
  });
  if (!r.ok) throw new LoadError(`BPF_MAP_CREATE failed: ${r.code} (${r.cause.message})${permissionHint(r.code)}`, { map: spec.name }, { cause: r.cause });
  return new OwnedFd(r.fd, `map ${spec.name}`);
}

/** Opens a pinned map and checks it against the spec; `undefined` when nothing is pinned there. */
function reusePinned(spec: MapSpec, attrs: MapAttributes, path: string): BpfMap | undefined {
  if (!existsSync(path)) return undefined;
  let map: BpfMap;
  try {
    map = BpfMap.fromPin(path);
  } catch (e) {
    throw new LoadError(`cannot reuse pinned map ${path}: ${(e as Error).message}`, { map: spec.name }, { cause: e });
  }
  const diff = pinDifferences(map.info(), attrs, spec.mapExtra);
  if (diff.length > 0) {
    map.close();
    throw new MapPinMismatchError(spec.name, path, diff);
  }
  return map;
}

/** Writes an internal map's initial value and freezes read-only ones (libbpf's `bpf_object__populate_internal_map`). */
function populateInternalMap(spec: MapSpec, map: BpfMap, kconfigValue: Uint8Array | undefined): void {
  const data = spec.data;
  if (data === undefined) return;
  const value = data.kind === 'kconfig' && kconfigValue !== undefined ? kconfigValue : data.bytes;
  try {
    map.update(new Uint8Array(4), value);
    if (data.readonly) map.freeze();
  } catch (e) {
    throw new LoadError(`cannot set the initial value: ${(e as Error).message}`, { map: spec.name }, { cause: e });
  }
}

/**
 * Creates every map of `maps` in order; on failure closes those already created and throws
 * {@link LoadError} (or {@link MapPinMismatchError}). Returns handles in the same order.
 *
 * @example
 * ```ts
 * const maps = createMaps(spec.maps, { btfFd: undefined, pinRoot: '/sys/fs/bpf', possibleCpus: possibleCpus().length, kconfigValue: undefined });
 * ```
 */
export function createMaps(maps: readonly MapSpec[], options: CreateMapsOptions): CreatedMap[] {
  const out: CreatedMap[] = [];
  const pageSize = native().pageSize();
  try {
    for (const spec of maps) {
      // libbpf's bpf_map__set_autocreate(false), and `?.struct_ops` maps by default.
      if (!spec.autocreate) continue;
      if (spec.type === MapType.STRUCT_OPS) {
        const layout = options.structOps?.get(spec.name);
        if (layout === undefined) throw new LoadError('struct_ops map has no kernel layout', { map: spec.name });
        out.push({ spec, map: BpfMap.fromMapFd(createStructOpsMap(spec, layout, options)), reused: false, pinPath: undefined });
        continue;
      }
      const attrs = effectiveAttributes(spec, options.possibleCpus, pageSize);
      const replacement = options.replacements?.get(spec.name);
      if (replacement !== undefined) {
        out.push({ spec, map: BpfMap.fromFd(replacement.fd.dup()), reused: true, pinPath: undefined });
        continue;
      }
      const pinPath = spec.pinning === PinType.BY_NAME ? join(options.pinRoot, spec.name) : undefined;
      const reused = pinPath === undefined ? undefined : reusePinned(spec, attrs, pinPath);
      if (reused !== undefined) {
        out.push({ spec, map: reused, reused: true, pinPath });
        continue;
      }
      const map = BpfMap.fromMapFd(createMap(spec, attrs, options));
      out.push({ spec, map, reused: false, pinPath });
      populateInternalMap(spec, map, options.kconfigValue);
    }
  } catch (e) {
    for (const m of out) m.map.close();
    throw e;
  }
  return out;
}

/**
 * Pins every created (not reused) map that is pinned by name at its `pinPath`: the last phase of a
 * load, after every program loaded and every slot was written, so that a pin never shows a map of
 * a load that did not finish (a process killed during the load leaves no pin behind, and a later
 * load never reuses a half-initialised prog array). All or nothing: on failure the pins made here
 * are removed and {@link LoadError} is thrown.
 *
 * @example
 * ```ts
 * const created = createMaps(spec.maps, options);
 * // ... load programs, write slots ...
 * pinCreatedMaps(created);
 * ```
 */
export function pinCreatedMaps(created: readonly CreatedMap[]): void {
  const done: string[] = [];
  for (const c of created) {
    if (c.reused || c.pinPath === undefined) continue;
    try {
      c.map.pin(c.pinPath);
    } catch (e) {
      for (const p of done) rmSync(p, { force: true });
      throw new LoadError(`cannot pin at ${c.pinPath}: ${(e as Error).message}`, { map: c.spec.name }, { cause: e });
    }
    done.push(c.pinPath);
  }
}

/** The feature probe's answer; `true` when it cannot answer (then the kernel's error stands). */
function mapTypeAvailable(mapType: number): boolean {
  try {
    return probeMapType(mapType);
  } catch {
    return true;
  }
}

/** `, needs root or CAP_BPF...` for EPERM: the usual reason a load fails at its first map. */
function permissionHint(code: string): string {
  const hint = code === 'EPERM' ? errnoHint(code, 'BPF_MAP_CREATE') : undefined;
  return hint === undefined ? '' : `, ${hint}`;
}
