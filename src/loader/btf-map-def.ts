/**
 * libbpf's `parse_btf_map_def()`: reads a BTF-defined map (`struct { __uint(type, ...); ... }
 * name SEC(".maps")`) from its BTF struct. The attributes are encoded in member *types*, not
 * values: `__uint(x, N)` is `int (*x)[N]`, `__type(key, T)` is `T *key`, `__array(values, T)` is
 * `T *values[]`, and `__ulong(x, N)` is an enum with one enumerator of value N.
 */
import type { Btf } from '../btf/btf.js';
import type { BtfMember } from '../btf/types.js';
import { MapType } from '../sys/uapi.js';
import { ObjectSpecError, type ObjectSpecErrorContext } from './errors.js';
import { PinType } from './map-spec.js';

/** The attributes one BTF map definition sets; absent ones stay `undefined`. */
export interface BtfMapDef {
  readonly type: number | undefined;
  readonly maxEntries: number | undefined;
  readonly flags: number | undefined;
  readonly numaNode: number | undefined;
  readonly keySize: number | undefined;
  readonly valueSize: number | undefined;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  readonly pinning: number | undefined;
  readonly mapExtra: bigint | undefined;
  /** For `__array(values, ...)`: the member's byte offset inside the definition. */
  readonly valuesOffset: number | undefined;
  /** The inner map template of a map-in-map. */
  readonly inner: BtfMapDef | undefined;
}

interface Mutable {
  type?: number;
  maxEntries?: number;
  flags?: number;
  numaNode?: number;
  keySize?: number;
  valueSize?: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  pinning?: number;
  mapExtra?: bigint;
  valuesOffset?: number;
  inner?: BtfMapDef;
}

/** Map types whose `values` name programs (prog arrays) or maps (map-in-map). */
function valuesKind(type: number | undefined): 'program' | 'map' | undefined {
  if (type === MapType.PROG_ARRAY) return 'program';
  if (type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS) return 'map';
  return undefined;
}

/**
 * Parses the definition struct `structId` of map `mapName`. With `strict` (libbpf's default,
 * unless `relaxed_maps`), unknown members are errors. Throws `ObjectSpecError` naming the map
 * and the member.
 */
export function parseBtfMapDef(btf: Btf, mapName: string, structId: number, strict: boolean, where: ObjectSpecErrorContext, isInner = false): BtfMapDef {
  const fail = (reason: string): never => {
    throw new ObjectSpecError(`map '${mapName}': ${reason}`, { ...where, symbol: mapName });
  };
  // clang gives a non-struct `.maps` variable type 0 (void).
  const resolved = btf.resolveType(structId);
  const struct = resolved === 0 ? undefined : btf.typeById(resolved);
  if (struct?.kind !== 'STRUCT') return fail(`definition must be a struct, got ${struct?.kind ?? 'void'}`);
  const def: Mutable = { btfKeyTypeId: 0, btfValueTypeId: 0 };
  // key_size/value_size and the size of __type(key/value) may both be given; they must agree.
  const setSize = (what: 'key' | 'value', size: number): void => {
    const field = what === 'key' ? 'keySize' : 'valueSize';
    const known = def[field];
    if (known !== undefined && known !== size) fail(`conflicting ${what} size ${known} != ${size}`);
    def[field] = size;
  };
  struct.members.forEach((m, i) => {
    const field = m.name;
    switch (field) {
      case 'type': def.type = fieldInt(btf, m, fail); break;
      case 'max_entries': def.maxEntries = fieldInt(btf, m, fail); break;
      case 'map_flags': def.flags = fieldInt(btf, m, fail); break;
      case 'numa_node': def.numaNode = fieldInt(btf, m, fail); break;
      case 'key_size': setSize('key', fieldInt(btf, m, fail)); break;
      case 'key': {
        const { id, size } = pointee(btf, m, fail);
        setSize('key', size);
        def.btfKeyTypeId = id;
        break;
      }
      case 'value_size': setSize('value', fieldInt(btf, m, fail)); break;
      case 'value': {
        const { id, size } = pointee(btf, m, fail);
        setSize('value', size);
        def.btfValueTypeId = id;
        break;
      }
      case 'values': {
        if (isInner) fail('multi-level inner maps are not supported');
        if (i !== struct.members.length - 1) fail("'values' must be the last member");
        const kind = valuesKind(def.type);
        if (kind === undefined) fail(`'values' is only for prog arrays and map-in-maps, not map type ${def.type ?? 'unset'}`);
        const arr = btf.typeById(m.type);
        if (arr.kind !== 'ARRAY' || arr.nelems !== 0) fail("'values' must be a zero-sized array");
        const ptr = btf.typeById(btf.resolveType((arr as { type: number }).type));
        if (ptr.kind !== 'PTR') fail("'values' must be an array of pointers");
        const target = btf.typeById(btf.resolveType((ptr as { type: number }).type));
        if (kind === 'program') {
          if (target.kind !== 'FUNC_PROTO') fail("'values' of a prog array must point to functions");
        } else {
          if (target.kind !== 'STRUCT') fail("'values' of a map-in-map must point to a map definition struct");
          def.inner = parseBtfMapDef(btf, `${mapName}.inner`, target.id, strict, where, true);
        }
        // Slots hold fds.
        setSize('value', 4);
        def.valuesOffset = m.bitOffset / 8;
        break;
      }
      case 'pinning': {
        if (isInner) fail('inner maps cannot be pinned');
        const pinning = fieldInt(btf, m, fail);
        if (pinning !== PinType.NONE && pinning !== PinType.BY_NAME) fail(`invalid pinning value ${pinning}`);
        def.pinning = pinning;
        break;
      }
      case 'map_extra': def.mapExtra = fieldLong(btf, m, fail); break;
      default:
        if (strict) fail(`unknown field '${field}'`);
    }
  });
  if (def.type === undefined) fail("map type isn't specified");
  return def as BtfMapDef;
}

/** `__uint(name, N)`: `int (*name)[N]`, or the one-enumerator enum of `__ulong`. */
function fieldInt(btf: Btf, m: BtfMember, fail: (r: string) => never): number {
  const v = fieldLong(btf, m, fail);
  if (v > 0xffffffffn) fail(`attr '${m.name}': value ${v} does not fit in 32 bits`);
  return Number(v);
}

function fieldLong(btf: Btf, m: BtfMember, fail: (r: string) => never): bigint {
  const t = btf.typeById(btf.resolveType(m.type));
  if (t.kind === 'ENUM' || t.kind === 'ENUM64') {
    const only = t.values[0];
    if (t.values.length !== 1 || only === undefined) return fail(`attr '${m.name}': expected an enum with one value`);
    return BigInt(only.value);
  }
  if (t.kind !== 'PTR') return fail(`attr '${m.name}': expected PTR, got ${t.kind}`);
  const arr = btf.typeById(btf.resolveType(t.type));
  if (arr.kind !== 'ARRAY') return fail(`attr '${m.name}': expected ARRAY, got ${arr.kind}`);
  return BigInt(arr.nelems);
}

/** `__type(name, T)`: `T *name`; returns T's id (as written) and resolved size. */
function pointee(btf: Btf, m: BtfMember, fail: (r: string) => never): { id: number; size: number } {
  const t = btf.typeById(btf.resolveType(m.type));
  if (t.kind !== 'PTR') return fail(`${m.name} spec is not a pointer: ${t.kind}`);
  let size: number;
  try {
    size = btf.sizeOf(t.type);
  } catch (e) {
    return fail(`can't determine ${m.name} size for type [${t.type}]: ${(e as Error).message}`);
  }
  return { id: t.type, size };
}
