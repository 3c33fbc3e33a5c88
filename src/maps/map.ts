import { unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BpfCmd, bpfCmdName } from '../sys/bpf.js';
import { possibleCpus } from '../sys/cpus.js';
import { isNativeError, SysError } from '../sys/errors.js';
import { bpfFdKind, FdClosedError, OwnedFd } from '../sys/fd.js';
import { getFdById } from '../sys/ids.js';
import { getMapInfo, type FdLike, type MapInfo } from '../sys/info.js';
import { mapCreate, type MapCreateOptions } from '../sys/map-create.js';
import { ElemPointers, MapElemBlock } from '../sys/map-elem.js';
import { native, type NativeAddon } from '../sys/native.js';
import { objGet, objPin } from '../sys/pin.js';
import { strerror } from '../sys/strerror.js';
import { MapType } from '../sys/uapi.js';
import { MapError, MapIterationError, type MapIdentity } from './errors.js';
import { isPerCpuMapType, isQueueLikeMapType, perCpuStride, UpdateFlag } from './map-kinds.js';
import { MapBatchCursor } from './map-batch-cursor.js';
import type { TypedMap, TypedMapOptions } from './typed-map.js';

/** Offsets in the `BPF_MAP_*_BATCH` block of `union bpf_attr` (`struct { in_batch, out_batch, keys, values, count, map_fd, elem_flags, flags } batch`). */
const BATCH = { inBatch: 0, outBatch: 8, keys: 16, values: 24, count: 32, mapFd: 36, elemFlags: 40, flags: 48, SIZE: 56 } as const;

/** `ENOENT`: what the element and batch commands answer for "no such key" and "end of the walk". */
const ENOENT = 2;

/** Options of the batch commands. */
export interface MapBatchOptions {
  /** `elem_flags`: `BPF_F_LOCK` (the only flag the kernel accepts here; others get `EINVAL`). */
  readonly elemFlags?: number;
}

/** The `key`/`value` pointers of each element command (see `MapElemBlock`). */
const KEY_VALUE = ElemPointers.KEY | ElemPointers.VALUE;
const KEY_ONLY = ElemPointers.KEY | ElemPointers.NO_VALUE;
const VALUE_ONLY = ElemPointers.NO_KEY | ElemPointers.VALUE;
const KEY_NEXT = ElemPointers.KEY | ElemPointers.NEXT_KEY;
const FIRST_KEY = ElemPointers.NO_KEY | ElemPointers.NEXT_KEY;

/**
 * Options of {@link BpfMap.create}: the `BPF_MAP_CREATE` fields of `MapCreateOptions` (the
 * loader's `MapSpec` has the same names), plus the inner map of a map-in-map as a handle.
 */
export interface BpfMapCreateOptions extends MapCreateOptions {
  /** `inner_map_fd` of `ARRAY_OF_MAPS`/`HASH_OF_MAPS`: a template map (overrides `innerMapFd`). */
  readonly innerMap?: BpfMap | FdLike;
}

/** Options of {@link BpfMap.fromId} and {@link BpfMap.fromPin}. */
export interface BpfMapOpenOptions {
  /** `open_flags`/`file_flags`: `BPF_F_RDONLY` (1 << 3) or `BPF_F_WRONLY` (1 << 4). */
  readonly flags?: number;
}

/** One step of a {@link BpfMap.keys}/{@link BpfMap.entries} walk. */
export type MapEntry = readonly [key: Uint8Array, value: Uint8Array];

/**
 * Up to this many bytes an indexed loop, which the JIT inlines, copies faster than
 * `TypedArray.prototype.set` (a builtin call: ~150 instructions, as much as the rest of a lookup's
 * JavaScript).
 */
const INLINE_COPY_MAX = 32;

/** Copies the first `n` bytes of `src` to `dst` (both at least `n` long). */
function copyBytes(dst: Uint8Array, src: Uint8Array, n: number): void {
  if (n > INLINE_COPY_MAX) {
    dst.set(src.length === n ? src : src.subarray(0, n));
    return;
  }
  // Four bytes per iteration: the JIT checks both arrays once per iteration, not once per byte.
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    dst[i] = src[i]!;
    dst[i + 1] = src[i + 1]!;
    dst[i + 2] = src[i + 2]!;
    dst[i + 3] = src[i + 3]!;
  }
  for (; i < n; i++) dst[i] = src[i]!;
}

function fdNumber(fd: BpfMap | FdLike): number {
  if (typeof fd === 'number') return fd;
  return fd instanceof BpfMap ? fd.fd.fd : fd.fd;
}

/**
 * A BPF map this process holds an fd to, with the element commands of `bpf(2)`: lookup,
 * update, delete, get-next-key, lookup-and-delete, push/pop/peek for queues and stacks, freeze,
 * pin; iteration; batch commands (see {@link batchLookup} and friends in `map-batch.ts`).
 *
 * Keys and values are bytes: `Uint8Array` in, `Uint8Array` out, exactly `keySize` and
 * `valueSize` long (per-CPU maps: {@link valueBufferSize} = `round_up(value_size, 8)` times the
 * number of possible CPUs). Each map keeps key and value slots in memory the addon owns (a
 * `MapElemBlock`, whose `bpf_attr` the addon builds), so an operation copies the key in, makes
 * one cheap addon call and copies the value out: no allocation when the caller passes an output
 * buffer. For JS objects decoded through BTF, see `typedMap()`.
 *
 * Not safe to share between worker threads (the buffers are per map object).
 *
 * @example
 * ```ts
 * using map = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 64, name: 'counts' });
 * map.update(Uint8Array.of(1, 0, 0, 0), new Uint8Array(8));
 * const v = map.lookup(Uint8Array.of(1, 0, 0, 0)); // Uint8Array(8) or undefined
 * for (const [k, v] of map.entries()) console.log(k, v);
 * ```
 */
export class BpfMap {
  /** The owned fd (closed by {@link close}). */
  readonly fd: OwnedFd;
  /** `bpf_map_info.type`: `enum bpf_map_type`. */
  readonly type: number;
  /** `bpf_map_info.id`. */
  readonly id: number;
  /** `bpf_map_info.name`. */
  readonly name: string;
  /** `key_size`. */
  readonly keySize: number;
  /** `value_size` (one CPU's slot, for per-CPU maps). */
  readonly valueSize: number;
  /** `max_entries`. */
  readonly maxEntries: number;
  /** `map_flags`. */
  readonly flags: number;
  /** `btf_id` (0 without BTF). */
  readonly btfId: number;
  /** `btf_key_type_id`. */
  readonly btfKeyTypeId: number;
  /** `btf_value_type_id`. */
  readonly btfValueTypeId: number;
  /** `btf_vmlinux_value_type_id` (struct_ops). */
  readonly btfVmlinuxValueTypeId: number;
  /** True for `PERCPU_HASH`, `PERCPU_ARRAY`, `LRU_PERCPU_HASH`, `PERCPU_CGROUP_STORAGE`. */
  readonly perCpu: boolean;
  /** Slots in a per-CPU value (possible CPUs); 1 for other maps. */
  readonly cpus: number;
  /** Bytes between CPU slots of a per-CPU value (`round_up(value_size, 8)`); `valueSize` otherwise. */
  readonly valueStride: number;
  /** Bytes a lookup returns and an update takes: `valueStride * cpus` for per-CPU maps, else `valueSize`. */
  readonly valueBufferSize: number;

  readonly #sys: NativeAddon;
  /** Key, next-key and value slots and the element commands on them. */
  readonly #elem: MapElemBlock;
  readonly #key: Uint8Array;
  readonly #value: Uint8Array;
  readonly #nextKey: Uint8Array;

  private constructor(fd: OwnedFd, info: MapInfo) {
    this.fd = fd;
    this.type = info.type;
    this.id = info.id;
    this.name = info.name;
    this.keySize = info.keySize;
    this.valueSize = info.valueSize;
    this.maxEntries = info.maxEntries;
    this.flags = info.mapFlags;
    this.btfId = info.btfId;
    this.btfKeyTypeId = info.btfKeyTypeId;
    this.btfValueTypeId = info.btfValueTypeId;
    this.btfVmlinuxValueTypeId = info.btfVmlinuxValueTypeId;
    this.perCpu = isPerCpuMapType(info.type);
    this.cpus = this.perCpu ? possibleCpus().length : 1;
    this.valueStride = this.perCpu ? perCpuStride(info.valueSize) : info.valueSize;
    this.valueBufferSize = this.valueStride * this.cpus;

    this.#sys = native();
    this.#elem = new MapElemBlock(fd.fd, this.keySize, this.valueBufferSize);
    this.#key = this.#elem.key;
    this.#nextKey = this.#elem.nextKey;
    this.#value = this.#elem.value;
  }

  /**
   * `BPF_MAP_CREATE`: a new map (see `mapCreate` in src/sys for the fields).
   *
   * @example
   * ```ts
   * using inner = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
   * using outer = BpfMap.create({ type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4, innerMap: inner });
   * ```
   */
  static create(options: BpfMapCreateOptions): BpfMap {
    const { innerMap, ...rest } = options;
    const opts: MapCreateOptions = innerMap === undefined ? rest : { ...rest, innerMapFd: fdNumber(innerMap) };
    const fd = new OwnedFd(mapCreate(opts), options.name === undefined ? 'map' : `map '${options.name}'`);
    return BpfMap.fromFd(fd);
  }

  /**
   * Wraps a map fd, taking ownership of it (closing the map closes the fd). Throws
   * {@link MapError} when the fd is not a map.
   */
  static fromFd(fd: OwnedFd): BpfMap {
    try {
      // OBJ_GET_INFO_BY_FD answers for programs and links too, with their own info struct.
      const kind = bpfFdKind(fd);
      if (kind !== 'map') throw new Error(`it is a ${kind} object`);
    } catch (e) {
      fd.close();
      throw new MapError({ name: '', id: 0 }, 'BPF_OBJ_GET_INFO_BY_FD', `${fd.description} is not a BPF map: ${(e as Error).message}`, 0, 'EINVAL', undefined, { cause: e });
    }
    return BpfMap.fromMapFd(fd);
  }

  /**
   * Like {@link BpfMap.fromFd} for an fd known to be a map (just returned by `BPF_MAP_CREATE`,
   * or already checked): skips the fd-kind check, a `readlink` per map on every object load.
   *
   * @example
   * ```ts
   * const map = BpfMap.fromMapFd(new OwnedFd(mapCreate(opts), 'map'));
   * ```
   */
  static fromMapFd(fd: OwnedFd): BpfMap {
    let info: MapInfo;
    try {
      info = getMapInfo(fd);
    } catch (e) {
      fd.close();
      throw new MapError({ name: '', id: 0 }, 'BPF_OBJ_GET_INFO_BY_FD', `${fd.description} is not a BPF map: ${(e as Error).message}`, 0, 'EINVAL', undefined, { cause: e });
    }
    return new BpfMap(fd, info);
  }

  /** `BPF_MAP_GET_FD_BY_ID`: opens the map with this id (`ObjectNotFoundError` if there is none). */
  static fromId(id: number, options: BpfMapOpenOptions = {}): BpfMap {
    return BpfMap.fromFd(getFdById('map', id, options.flags ?? 0));
  }

  /**
   * `BPF_OBJ_GET`: opens the map pinned at `path`. Throws {@link MapError} when the pin is a
   * program, link or other object.
   */
  static fromPin(path: string, options: BpfMapOpenOptions = {}): BpfMap {
    const fd = objGet(path, options.flags ?? 0);
    const kind = bpfFdKind(fd);
    if (kind !== 'map') {
      fd.close();
      throw new MapError({ name: '', id: 0 }, 'open pinned', `${path} is a ${kind} object, not a map`, 0, 'EINVAL');
    }
    return BpfMap.fromMapFd(fd);
  }

  /** The map's `name` and `id`, for error context. */
  get identity(): MapIdentity {
    return { name: this.name, id: this.id };
  }

  /** `BPF_OBJ_GET_INFO_BY_FD`: a fresh `struct bpf_map_info`. */
  info(): MapInfo {
    return getMapInfo(this.fd);
  }

  #fail(cmd: number, operation: string, e: unknown, key?: Uint8Array, detail = ''): MapError {
    if (!isNativeError(e)) {
      return new MapError(this.identity, operation, `${bpfCmdName(cmd)} failed: ${e instanceof Error ? e.message : String(e)}${detail}`, 0, 'UNKNOWN', key, { cause: e });
    }
    return new MapError(this.identity, operation, `${bpfCmdName(cmd)} failed (${e.code}): ${strerror(e.errno)}${detail}`, e.errno, e.code, key?.slice(), { cause: e });
  }

  #usage(operation: string, reason: string, key?: Uint8Array): MapError {
    return new MapError(this.identity, operation, reason, 0, 'EINVAL', key);
  }

  #checkOpen(): void {
    if (this.fd.closed) throw new FdClosedError(this.fd.description);
  }

  #setKey(key: Uint8Array, operation: string): void {
    this.#checkOpen();
    // `length` (of a Uint8Array, its byte length) is inlined where `byteLength` is a builtin call.
    if (key.length !== this.keySize) throw this.#usage(operation, `key is ${key.byteLength} bytes; the map's key_size is ${this.keySize}`);
    copyBytes(this.#key, key, this.keySize);
  }

  #setValue(value: Uint8Array, operation: string, key?: Uint8Array): void {
    if (value.length !== this.valueBufferSize) {
      const want = this.perCpu ? `${this.valueBufferSize} (round_up(value_size ${this.valueSize}, 8) x ${this.cpus} possible CPUs)` : `value_size ${this.valueSize}`;
      throw this.#usage(operation, `value is ${value.byteLength} bytes; expected ${want}`, key);
    }
    copyBytes(this.#value, value, this.valueBufferSize);
  }

  #output(out: Uint8Array | undefined, operation: string): Uint8Array {
    if (out === undefined) return this.#value.slice();
    if (out.length < this.valueBufferSize) throw this.#usage(operation, `output buffer is ${out.byteLength} bytes; needs ${this.valueBufferSize}`);
    copyBytes(out, this.#value, this.valueBufferSize);
    return out;
  }

  /**
   * Runs an element command on the slots; true on success, false on ENOENT when `absentOk`,
   * throws otherwise. ENOENT (a miss, the end of a walk) is an expected outcome: it comes back
   * as -errno, since building and throwing an error would cost several times the syscall.
   */
  #elemCall(cmd: number, pointers: number, flags: number, operation: string, key: Uint8Array | undefined, absentOk: boolean): boolean {
    const r = this.#elem.run(cmd, pointers, flags);
    if (r >= 0) return true;
    if (absentOk && r === -ENOENT) return false;
    throw this.#fail(cmd, operation, this.#sys.sysError(-r, 'bpf'), key);
  }

  /**
   * `BPF_MAP_LOOKUP_ELEM`: the value under `key`, or `undefined` when there is none. Writes into
   * `out` (at least {@link valueBufferSize} bytes) when given, else returns a new array.
   * Map-in-map and prog array lookups return the inner object's id (u32).
   */
  lookup(key: Uint8Array, out?: Uint8Array, flags = 0): Uint8Array | undefined {
    this.#setKey(key, 'lookup');
    if (!this.#elemCall(BpfCmd.MAP_LOOKUP_ELEM, KEY_VALUE, flags, 'lookup', key, true)) return undefined;
    return this.#output(out, 'lookup');
  }

  /** True when `key` has a value (a lookup that discards the value). */
  has(key: Uint8Array): boolean {
    this.#setKey(key, 'lookup');
    return this.#elemCall(BpfCmd.MAP_LOOKUP_ELEM, KEY_VALUE, 0, 'lookup', key, true);
  }

  /**
   * `BPF_MAP_UPDATE_ELEM`: stores `value` under `key`. `flags`: {@link UpdateFlag} (`ANY`,
   * `NOEXIST`, `EXIST`, optionally `| F_LOCK`). For fd maps (prog array, map-in-map, ...) the
   * value is the fd as a little-endian u32; see {@link updateFd}.
   */
  update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    this.#setKey(key, 'update');
    this.#setValue(value, 'update', key);
    this.#elemCall(BpfCmd.MAP_UPDATE_ELEM, KEY_VALUE, flags, 'update', key, false);
  }

  /** `BPF_MAP_UPDATE_ELEM` of a prog array, map-in-map or other fd map: stores `target`'s fd. */
  updateFd(key: Uint8Array, target: BpfMap | FdLike, flags: number = UpdateFlag.ANY): void {
    const value = new Uint8Array(4);
    new DataView(value.buffer).setUint32(0, fdNumber(target), true);
    this.update(key, value, flags);
  }

  /** `BPF_MAP_DELETE_ELEM`: true when `key` was removed, false when it was not there. */
  delete(key: Uint8Array): boolean {
    this.#setKey(key, 'delete');
    return this.#elemCall(BpfCmd.MAP_DELETE_ELEM, KEY_ONLY, 0, 'delete', key, true);
  }

  /**
   * `BPF_MAP_LOOKUP_AND_DELETE_ELEM` (hash types: Linux 5.14+): the value under `key`, removed,
   * or `undefined` when there is none.
   */
  lookupAndDelete(key: Uint8Array, out?: Uint8Array, flags = 0): Uint8Array | undefined {
    this.#setKey(key, 'lookup and delete');
    if (!this.#elemCall(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, KEY_VALUE, flags, 'lookup and delete', key, true)) return undefined;
    return this.#output(out, 'lookup and delete');
  }

  /**
   * `BPF_MAP_GET_NEXT_KEY`: the key after `key` (the first key for `null`), or `undefined` at
   * the end. A `key` that is not in the map yields the first key (hash maps) or the next index
   * (arrays), as the kernel does.
   */
  nextKey(key: Uint8Array | null, out?: Uint8Array): Uint8Array | undefined {
    if (key === null) this.#checkOpen();
    else this.#setKey(key, 'get next key');
    if (!this.#elemCall(BpfCmd.MAP_GET_NEXT_KEY, key === null ? FIRST_KEY : KEY_NEXT, 0, 'get next key', key ?? undefined, true)) return undefined;
    if (out === undefined) return this.#nextKey.slice();
    if (out.byteLength < this.keySize) throw this.#usage('get next key', `output buffer is ${out.byteLength} bytes; needs ${this.keySize}`);
    out.set(this.#nextKey);
    return out;
  }

  /**
   * Every key, walked with `BPF_MAP_GET_NEXT_KEY`. Safe against deleting the key just yielded
   * (the walk fetches the following key before yielding): `for (const k of map.keys())
   * map.delete(k)` empties a hash map. Concurrent deletions by others can make the kernel
   * restart from the first key; after more than `max_entries` steps the walk throws
   * {@link MapIterationError} rather than loop forever (cilium's `ErrIterationAborted`).
   */
  *keys(): Generator<Uint8Array, void, void> {
    let current = this.nextKey(null);
    let steps = 0;
    while (current !== undefined) {
      if (++steps > this.maxEntries + 1) {
        throw new MapIterationError(this.identity, 'iterate', `more than max_entries (${this.maxEntries}) keys visited: concurrent deletions keep restarting the walk`, 0, 'EAGAIN');
      }
      const next = this.nextKey(current);
      yield current;
      current = next;
    }
  }

  /**
   * Every `[key, value]`, as {@link keys} with a lookup each; keys deleted between the two steps
   * (by anyone) are skipped, and for fd arrays, so are empty slots.
   */
  *entries(): Generator<MapEntry, void, void> {
    for (const key of this.keys()) {
      const value = this.lookup(key);
      if (value !== undefined) yield [key, value];
    }
  }

  #batchCall(cmd: number, operation: string, keys: Uint8Array, values: Uint8Array | null, count: number, cursor: MapBatchCursor | null, elemFlags: number, endOk: boolean): { count: number; end: boolean } {
    this.#checkOpen();
    const attr = new Uint8Array(BATCH.SIZE);
    const view = new DataView(attr.buffer);
    const sys = this.#sys;
    if (cursor !== null) {
      if (cursor.started) view.setBigUint64(BATCH.inBatch, sys.address(cursor.inToken), true);
      view.setBigUint64(BATCH.outBatch, sys.address(cursor.outToken), true);
    }
    if (keys.byteLength > 0) view.setBigUint64(BATCH.keys, sys.address(keys), true);
    if (values !== null && values.byteLength > 0) view.setBigUint64(BATCH.values, sys.address(values), true);
    view.setUint32(BATCH.count, count, true);
    view.setUint32(BATCH.mapFd, this.fd.fd, true);
    view.setUint32(BATCH.elemFlags, elemFlags, true);
    const r = sys.bpfErrno(cmd, attr, keys, values, cursor);
    if (r >= 0) return { count: view.getUint32(BATCH.count, true), end: false };
    // ENOENT ends a lookup walk; `count` still says how many entries this last call returned.
    if (endOk && r === -ENOENT) return { count: view.getUint32(BATCH.count, true), end: true };
    // The kernel reports in `count` how many elements it processed before failing.
    const done = view.getUint32(BATCH.count, true);
    throw this.#fail(cmd, operation, sys.sysError(-r, 'bpf'), undefined, ` (after ${done} of ${count} elements)`);
  }

  #batchCapacity(operation: string, keys: Uint8Array, values: Uint8Array | null): number {
    if (this.keySize === 0) throw this.#usage(operation, 'the map has no keys (batch commands need a keyed map)');
    if (keys.byteLength % this.keySize !== 0) throw this.#usage(operation, `keys buffer is ${keys.byteLength} bytes, not a multiple of key_size ${this.keySize}`);
    const n = keys.byteLength / this.keySize;
    if (values !== null && values.byteLength !== n * this.valueBufferSize) {
      throw this.#usage(operation, `values buffer is ${values.byteLength} bytes; ${n} keys need ${n * this.valueBufferSize} (${this.valueBufferSize} each)`);
    }
    return n;
  }

  /**
   * `BPF_MAP_LOOKUP_BATCH` (Linux 5.6+): fills `keysOut`/`valuesOut` with up to
   * `keysOut.length / keySize` entries from `cursor`'s position and returns how many it wrote.
   * `cursor.done` turns true at the end (the kernel's `ENOENT`, which may come with a last
   * partial batch). A hash bucket larger than the buffers fails with `ENOSPC`: retry larger.
   */
  lookupBatch(cursor: MapBatchCursor, keysOut: Uint8Array, valuesOut: Uint8Array, options: MapBatchOptions = {}): number {
    return this.#lookupBatch(BpfCmd.MAP_LOOKUP_BATCH, 'lookup batch', cursor, keysOut, valuesOut, options);
  }

  /** `BPF_MAP_LOOKUP_AND_DELETE_BATCH` (hash types; Linux 5.6+): as {@link lookupBatch}, removing what it returns. */
  lookupAndDeleteBatch(cursor: MapBatchCursor, keysOut: Uint8Array, valuesOut: Uint8Array, options: MapBatchOptions = {}): number {
    return this.#lookupBatch(BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH, 'lookup and delete batch', cursor, keysOut, valuesOut, options);
  }

  #lookupBatch(cmd: number, operation: string, cursor: MapBatchCursor, keysOut: Uint8Array, valuesOut: Uint8Array, options: MapBatchOptions): number {
    if (cursor.done) return 0;
    const n = this.#batchCapacity(operation, keysOut, valuesOut);
    if (n === 0) throw this.#usage(operation, 'empty output buffers');
    const r = this.#batchCall(cmd, operation, keysOut, valuesOut, n, cursor, options.elemFlags ?? 0, true);
    cursor.advance(r.end);
    return r.count;
  }

  /**
   * `BPF_MAP_UPDATE_BATCH` (Linux 5.6+): stores `values[i]` under `keys[i]` for every key in the
   * concatenated `keys` buffer; returns the count. On failure the {@link MapError} says how many
   * were stored before it.
   */
  updateBatch(keys: Uint8Array, values: Uint8Array, options: MapBatchOptions = {}): number {
    const n = this.#batchCapacity('update batch', keys, values);
    if (n === 0) return 0;
    return this.#batchCall(BpfCmd.MAP_UPDATE_BATCH, 'update batch', keys, values, n, null, options.elemFlags ?? 0, false).count;
  }

  /**
   * `BPF_MAP_DELETE_BATCH` (hash types; Linux 5.6+): removes every key of the concatenated
   * `keys` buffer; a missing key fails with `ENOENT` after deleting the ones before it.
   */
  deleteBatch(keys: Uint8Array, options: MapBatchOptions = {}): number {
    const n = this.#batchCapacity('delete batch', keys, null);
    if (n === 0) return 0;
    return this.#batchCall(BpfCmd.MAP_DELETE_BATCH, 'delete batch', keys, null, n, null, options.elemFlags ?? 0, false).count;
  }

  /**
   * Every `[key, value]` through `BPF_MAP_LOOKUP_BATCH`, `batchSize` entries per syscall (the
   * buffers grow when a hash bucket does not fit: `ENOSPC`). A consistent walk of hash maps
   * without the restarts of {@link entries}; yields copies.
   */
  *batchEntries(batchSize = 256): Generator<MapEntry, void, void> {
    const cursor = new MapBatchCursor(this.keySize);
    let size = Math.max(1, Math.min(batchSize, Math.max(this.maxEntries, 1)));
    let keys = new Uint8Array(size * this.keySize);
    let values = new Uint8Array(size * this.valueBufferSize);
    while (!cursor.done) {
      let n: number;
      try {
        n = this.lookupBatch(cursor, keys, values);
      } catch (e) {
        if (e instanceof MapError && e.code === 'ENOSPC' && size < 1 << 20) {
          size *= 2;
          keys = new Uint8Array(size * this.keySize);
          values = new Uint8Array(size * this.valueBufferSize);
          continue;
        }
        throw e;
      }
      for (let i = 0; i < n; i++) {
        yield [keys.slice(i * this.keySize, (i + 1) * this.keySize), values.slice(i * this.valueBufferSize, (i + 1) * this.valueBufferSize)];
      }
    }
  }

  /**
   * Empties the map, as bcc's `table.clear()` does between the intervals of a tool: arrays and
   * per-CPU arrays, whose elements cannot be deleted, get every value zeroed (on every CPU);
   * queues and stacks are popped until empty; every other keyed map has each key deleted (the
   * walk of {@link keys}). Returns how many elements were zeroed, popped or deleted. Elements
   * programs add meanwhile may survive: the map is not locked. One syscall per element.
   *
   * @example
   * ```ts
   * process.stdout.write(formatLog2Histogram(readHistogram(dist)));
   * dist.clear();
   * ```
   */
  clear(): number {
    this.#checkOpen();
    if (this.type === MapType.ARRAY || this.type === MapType.PERCPU_ARRAY) {
      const key = new Uint8Array(4);
      const view = new DataView(key.buffer);
      const zero = new Uint8Array(this.valueBufferSize);
      for (let i = 0; i < this.maxEntries; i++) {
        view.setUint32(0, i, true);
        this.update(key, zero);
      }
      return this.maxEntries;
    }
    if (this.type === MapType.QUEUE || this.type === MapType.STACK) {
      let n = 0;
      const out = new Uint8Array(this.valueBufferSize);
      while (this.pop(out) !== undefined) n++;
      return n;
    }
    if (isQueueLikeMapType(this.type) || this.keySize === 0) throw this.#usage('clear', 'the map has no keys to delete and cannot be emptied');
    let n = 0;
    for (const key of this.keys()) if (this.delete(key)) n++;
    return n;
  }

  /** Splits a per-CPU value buffer into one view per CPU (`valueSize` bytes each). */
  perCpuValues(value: Uint8Array): Uint8Array[] {
    if (!this.perCpu) return [value.subarray(0, this.valueSize)];
    return Array.from({ length: this.cpus }, (_, i) => value.subarray(i * this.valueStride, i * this.valueStride + this.valueSize));
  }

  /**
   * Joins one value per possible CPU into the buffer a per-CPU update takes (each slot padded to
   * 8 bytes). A single value is copied into every slot.
   */
  perCpuBuffer(values: readonly Uint8Array[] | Uint8Array): Uint8Array {
    const list = values instanceof Uint8Array ? Array.from({ length: this.cpus }, () => values) : values;
    if (list.length !== this.cpus) throw this.#usage('per-CPU value', `${list.length} values given; the map has ${this.cpus} possible CPUs`);
    const out = new Uint8Array(this.valueBufferSize);
    list.forEach((v, i) => {
      if (v.byteLength !== this.valueSize) throw this.#usage('per-CPU value', `value for CPU ${i} is ${v.byteLength} bytes; value_size is ${this.valueSize}`);
      out.set(v, i * this.valueStride);
    });
    return out;
  }

  /**
   * Queue/stack: `BPF_MAP_UPDATE_ELEM` with no key (push; `flags` `BPF_EXIST` overwrites the
   * oldest when full). Bloom filter: adds `value`.
   */
  push(value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    this.#checkOpen();
    this.#setValue(value, 'push');
    this.#elemCall(BpfCmd.MAP_UPDATE_ELEM, VALUE_ONLY, flags, 'push', undefined, false);
  }

  /** Queue/stack: `BPF_MAP_LOOKUP_AND_DELETE_ELEM` with no key; `undefined` when empty. */
  pop(out?: Uint8Array): Uint8Array | undefined {
    this.#checkOpen();
    if (!this.#elemCall(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, VALUE_ONLY, 0, 'pop', undefined, true)) return undefined;
    return this.#output(out, 'pop');
  }

  /** Queue/stack: `BPF_MAP_LOOKUP_ELEM` with no key (the next value, kept); `undefined` when empty. */
  peek(out?: Uint8Array): Uint8Array | undefined {
    this.#checkOpen();
    if (!this.#elemCall(BpfCmd.MAP_LOOKUP_ELEM, VALUE_ONLY, 0, 'peek', undefined, true)) return undefined;
    return this.#output(out, 'peek');
  }

  /**
   * Bloom filter: `BPF_MAP_LOOKUP_ELEM` with no key and `value` as input: false when `value`
   * was certainly never pushed, true when it probably was.
   */
  contains(value: Uint8Array): boolean {
    this.#checkOpen();
    this.#setValue(value, 'peek');
    return this.#elemCall(BpfCmd.MAP_LOOKUP_ELEM, VALUE_ONLY, 0, 'peek', undefined, true);
  }

  /** `BPF_MAP_FREEZE` (Linux 5.2+): no more writes from syscalls (programs still may). */
  freeze(): void {
    const attr = new Uint8Array(4);
    new DataView(attr.buffer).setUint32(0, this.fd.fd, true);
    const r = this.#sys.bpfErrno(BpfCmd.MAP_FREEZE, attr);
    if (r < 0) throw this.#fail(BpfCmd.MAP_FREEZE, 'freeze', this.#sys.sysError(-r, 'bpf'));
  }

  /** `BPF_OBJ_PIN` at `path` (mounting a bpffs at its directory when needed, as bpftool does). */
  pin(path: string): void {
    try {
      objPin(this.fd, path);
    } catch (e) {
      if (e instanceof SysError) throw new MapError(this.identity, `pin ${path}`, e.message, e.errno, e.code, undefined, { cause: e });
      throw new MapError(this.identity, `pin ${path}`, (e as Error).message, 0, 'UNKNOWN', undefined, { cause: e });
    }
  }

  /** Removes the pin at `path` (`unlink`); the map lives on while fds or programs hold it. */
  unpin(path: string): void {
    const fd = objGet(path);
    try {
      if (bpfFdKind(fd) !== 'map' || getMapInfo(fd).id !== this.id) throw this.#usage(`unpin ${path}`, `${path} is not a pin of this map`);
    } finally {
      fd.close();
    }
    unlinkSync(path);
  }

  /**
   * A view whose keys and values are JS values encoded through BTF: the map's own key/value
   * types by default (see `typedMap`).
   */
  typed<K = unknown, V = unknown>(options: TypedMapOptions = {}): TypedMap<K, V> {
    // Loaded on first use: the BTF codecs are ~40 KB that loading an object (and every
    // `bpf-ts prog load`) would otherwise compile without using. Node >= 20.19 loads ES modules
    // synchronously through require(); the module instance is the one an import gets.
    const { typedMap } = createRequire(import.meta.url)('./typed-map.js') as typeof import('./typed-map.js');
    return typedMap<K, V>(this, options);
  }

  /** True after {@link close}. */
  get closed(): boolean {
    return this.fd.closed;
  }

  /** Closes the fd (idempotent). The kernel frees the map once nothing else holds it. */
  close(): void {
    this.fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
