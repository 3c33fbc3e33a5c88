/**
 * `BPF_MAP_CREATE`: the `union bpf_attr` encoder and the raw call. Field layout: the MAP_CREATE
 * struct of `union bpf_attr`, kernel 6.18.
 */
import { native, type NativeError } from './native.js';
import { BpfCmd } from './bpf.js';
import { isNativeError, toSysError } from './errors.js';
import { writeObjName, writeS32, writeU32, writeU64 } from './attr-field.js';

/** `map_flags` bits of `BPF_MAP_CREATE` (`BPF_F_*` in `include/uapi/linux/bpf.h`). */
export const MapCreateFlag = {
  /** `BPF_F_NO_PREALLOC`: allocate elements on update (hash maps; required by storage maps). */
  NO_PREALLOC: 1 << 0,
  /** `BPF_F_NO_COMMON_LRU`: per-CPU LRU lists. */
  NO_COMMON_LRU: 1 << 1,
  /** `BPF_F_NUMA_NODE`: `numa_node` is valid. */
  NUMA_NODE: 1 << 2,
  /** `BPF_F_RDONLY`: read-only for syscalls. */
  RDONLY: 1 << 3,
  /** `BPF_F_WRONLY`: write-only for syscalls. */
  WRONLY: 1 << 4,
  /** `BPF_F_STACK_BUILD_ID`: stack trace maps store build ids. */
  STACK_BUILD_ID: 1 << 5,
  /** `BPF_F_ZERO_SEED`: zero hash seed (testing only). */
  ZERO_SEED: 1 << 6,
  /** `BPF_F_RDONLY_PROG`: read-only for programs (`.rodata`). */
  RDONLY_PROG: 1 << 7,
  /** `BPF_F_WRONLY_PROG`: write-only for programs. */
  WRONLY_PROG: 1 << 8,
  /** `BPF_F_CLONE`: clone storage map elements with the socket. */
  CLONE: 1 << 9,
  /** `BPF_F_MMAPABLE`: array/arena may be mmap()ed. */
  MMAPABLE: 1 << 10,
  /** `BPF_F_PRESERVE_ELEMS`: perf event array keeps entries when the creator's fd closes. */
  PRESERVE_ELEMS: 1 << 11,
  /** `BPF_F_INNER_MAP`: inner map template whose max_entries may differ. */
  INNER_MAP: 1 << 12,
  /** `BPF_F_LINK`: struct_ops map attached as a link. */
  LINK: 1 << 13,
  /** `BPF_F_PATH_FD` (pin/get only; listed for completeness of the bit space). */
  PATH_FD: 1 << 14,
  /** `BPF_F_VTYPE_BTF_OBJ_FD` (6.9): `value_type_btf_obj_fd` is valid. */
  VTYPE_BTF_OBJ_FD: 1 << 15,
  /** `BPF_F_TOKEN_FD` (6.9): `map_token_fd` holds a BPF token. */
  TOKEN_FD: 1 << 16,
  /** `BPF_F_SEGV_ON_FAULT` (6.9): arena faults raise SIGSEGV in user space. */
  SEGV_ON_FAULT: 1 << 17,
  /** `BPF_F_NO_USER_CONV` (6.9): arena pointers are not converted to user addresses. */
  NO_USER_CONV: 1 << 18,
} as const;
export type MapCreateFlag = (typeof MapCreateFlag)[keyof typeof MapCreateFlag];

/** Bytes of `union bpf_attr` up to and including `excl_prog_hash_size` (6.18). */
export const MAP_CREATE_ATTR_SIZE = 92;

/**
 * The MAP_CREATE fields of `union bpf_attr` (camelCase kernel names); `exclProgHash` is an
 * address. Absent fields encode as zero.
 */
export interface MapCreateAttr {
  /** `map_type`: `enum bpf_map_type`. */
  readonly mapType: number;
  /** `key_size`. */
  readonly keySize?: number;
  /** `value_size`. */
  readonly valueSize?: number;
  /** `max_entries`. */
  readonly maxEntries?: number;
  /** `map_flags`: {@link MapCreateFlag} bits. */
  readonly mapFlags?: number;
  /** `inner_map_fd`: template for map-in-map types. */
  readonly innerMapFd?: number;
  /** `numa_node`: with {@link MapCreateFlag.NUMA_NODE}. */
  readonly numaNode?: number;
  /** `map_name`: at most 15 characters of `[A-Za-z0-9_.]`. */
  readonly mapName?: string;
  /** `map_ifindex`: netdev for offloaded maps. */
  readonly mapIfindex?: number;
  /** `btf_fd`: BTF holding the key/value types. */
  readonly btfFd?: number;
  /** `btf_key_type_id`. */
  readonly btfKeyTypeId?: number;
  /** `btf_value_type_id`. */
  readonly btfValueTypeId?: number;
  /** `btf_vmlinux_value_type_id`: struct_ops value type in vmlinux (or module) BTF. */
  readonly btfVmlinuxValueTypeId?: number;
  /** `map_extra` (5.16): bloom filter hash count, arena start address. */
  readonly mapExtra?: bigint;
  /** `value_type_btf_obj_fd` (6.9): module BTF of `btf_vmlinux_value_type_id`. */
  readonly valueTypeBtfObjFd?: number;
  /** `map_token_fd` (6.9). */
  readonly mapTokenFd?: number;
  /** `excl_prog_hash` (6.18): address of the SHA-256 of the only program allowed to use the map. */
  readonly exclProgHash?: bigint;
  /** `excl_prog_hash_size` (6.18). */
  readonly exclProgHashSize?: number;
}

/**
 * Encodes the MAP_CREATE fields of `union bpf_attr` ({@link MAP_CREATE_ATTR_SIZE} bytes).
 *
 * @example
 * ```ts
 * const attr = encodeMapCreateAttr({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1, mapName: 'counts' });
 * ```
 */
export function encodeMapCreateAttr(a: MapCreateAttr): Uint8Array {
  const bytes = new Uint8Array(MAP_CREATE_ATTR_SIZE);
  const v = new DataView(bytes.buffer);
  writeU32(v, 0, 'map_type', a.mapType);
  writeU32(v, 4, 'key_size', a.keySize ?? 0);
  writeU32(v, 8, 'value_size', a.valueSize ?? 0);
  writeU32(v, 12, 'max_entries', a.maxEntries ?? 0);
  writeU32(v, 16, 'map_flags', a.mapFlags ?? 0);
  writeU32(v, 20, 'inner_map_fd', a.innerMapFd ?? 0);
  writeU32(v, 24, 'numa_node', a.numaNode ?? 0);
  if (a.mapName !== undefined) writeObjName(v, 28, 'map_name', a.mapName);
  writeU32(v, 44, 'map_ifindex', a.mapIfindex ?? 0);
  writeU32(v, 48, 'btf_fd', a.btfFd ?? 0);
  writeU32(v, 52, 'btf_key_type_id', a.btfKeyTypeId ?? 0);
  writeU32(v, 56, 'btf_value_type_id', a.btfValueTypeId ?? 0);
  writeU32(v, 60, 'btf_vmlinux_value_type_id', a.btfVmlinuxValueTypeId ?? 0);
  writeU64(v, 64, 'map_extra', a.mapExtra ?? 0n);
  writeS32(v, 72, 'value_type_btf_obj_fd', a.valueTypeBtfObjFd ?? 0);
  writeS32(v, 76, 'map_token_fd', a.mapTokenFd ?? 0);
  writeU64(v, 80, 'excl_prog_hash', a.exclProgHash ?? 0n);
  writeU32(v, 88, 'excl_prog_hash_size', a.exclProgHashSize ?? 0);
  return bytes;
}

/** A map to create: like {@link MapCreateAttr}, with a real buffer for `exclProgHash`. */
export interface MapCreateOptions {
  /** `map_type`. */
  readonly type: number;
  /** `key_size` (0 for queue/stack/ringbuf/bloom filter/arena). */
  readonly keySize: number;
  /** `value_size`. */
  readonly valueSize: number;
  /** `max_entries` (ringbuf: bytes, a power-of-2 multiple of the page size). */
  readonly maxEntries: number;
  /** `map_flags`: {@link MapCreateFlag} bits. */
  readonly flags?: number;
  /** `map_name`. */
  readonly name?: string;
  /** `inner_map_fd`. */
  readonly innerMapFd?: number;
  /** `numa_node` (set {@link MapCreateFlag.NUMA_NODE} in `flags` too). */
  readonly numaNode?: number;
  /** `map_ifindex`. */
  readonly ifindex?: number;
  /** `btf_fd`. */
  readonly btfFd?: number;
  /** `btf_key_type_id`. */
  readonly btfKeyTypeId?: number;
  /** `btf_value_type_id`. */
  readonly btfValueTypeId?: number;
  /** `btf_vmlinux_value_type_id`. */
  readonly btfVmlinuxValueTypeId?: number;
  /** `map_extra`. */
  readonly mapExtra?: bigint;
  /** `value_type_btf_obj_fd` (set {@link MapCreateFlag.VTYPE_BTF_OBJ_FD} in `flags` too). */
  readonly valueTypeBtfObjFd?: number;
  /** `map_token_fd` (set {@link MapCreateFlag.TOKEN_FD} in `flags` too). */
  readonly tokenFd?: number;
  /** `excl_prog_hash` + `excl_prog_hash_size` (6.18). */
  readonly exclProgHash?: Uint8Array;
}

/** The outcome of {@link tryMapCreate}. */
export type MapCreateAttempt =
  | { readonly ok: true; readonly fd: number }
  | { readonly ok: false; readonly errno: number; readonly code: string; readonly cause: NativeError };

function toAttr(o: MapCreateOptions, exclProgHash: bigint): MapCreateAttr {
  return {
    mapType: o.type,
    keySize: o.keySize,
    valueSize: o.valueSize,
    maxEntries: o.maxEntries,
    mapFlags: o.flags ?? 0,
    innerMapFd: o.innerMapFd ?? 0,
    numaNode: o.numaNode ?? 0,
    ...(o.name === undefined ? {} : { mapName: o.name }),
    mapIfindex: o.ifindex ?? 0,
    btfFd: o.btfFd ?? 0,
    btfKeyTypeId: o.btfKeyTypeId ?? 0,
    btfValueTypeId: o.btfValueTypeId ?? 0,
    btfVmlinuxValueTypeId: o.btfVmlinuxValueTypeId ?? 0,
    mapExtra: o.mapExtra ?? 0n,
    valueTypeBtfObjFd: o.valueTypeBtfObjFd ?? 0,
    mapTokenFd: o.tokenFd ?? 0,
    exclProgHash,
    exclProgHashSize: o.exclProgHash?.byteLength ?? 0,
  };
}

/** Keeps `excl_prog_hash` referenced while the kernel reads it. */
let inFlight: Uint8Array | undefined;

/**
 * Issues `BPF_MAP_CREATE` and reports failure as a value (probes judge by errno). Invalid options
 * throw {@link AttrFieldError}.
 */
export function tryMapCreate(o: MapCreateOptions): MapCreateAttempt {
  const n = native();
  const hash = o.exclProgHash;
  const attr = encodeMapCreateAttr(toAttr(o, hash === undefined || hash.byteLength === 0 ? 0n : n.address(hash)));
  inFlight = hash;
  try {
    return { ok: true, fd: n.bpf(BpfCmd.MAP_CREATE, attr) };
  } catch (e) {
    if (!isNativeError(e)) throw e;
    return { ok: false, errno: e.errno, code: e.code, cause: e };
  } finally {
    inFlight = undefined;
  }
}

/**
 * Creates a map with `BPF_MAP_CREATE` and returns its fd (the caller closes it). Failures throw
 * a {@link SysError} naming the map.
 *
 * @example
 * ```ts
 * const fd = mapCreate({ type: 2, keySize: 4, valueSize: 8, maxEntries: 16, name: 'counts' });
 * ```
 */
export function mapCreate(o: MapCreateOptions): number {
  const r = tryMapCreate(o);
  if (r.ok) return r.fd;
  const what = o.name === undefined || o.name === '' ? `BPF_MAP_CREATE (map_type ${o.type})` : `BPF_MAP_CREATE '${o.name}'`;
  throw toSysError(r.cause, 'bpf', what, 'BPF_MAP_CREATE');
}
