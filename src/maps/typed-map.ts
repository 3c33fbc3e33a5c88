import { parseBtf, type Btf } from '../btf/btf.js';
import { loadKernelBtf } from '../btf/kernel-btf.js';
import { createBtfCodec, type BtfCodec, type BtfCodecOptions } from '../btf/codec/index.js';
import { btfGetFdById } from '../sys/ids.js';
import { getBtfInfo } from '../sys/info.js';
import { MapError } from './errors.js';
import type { BpfMap } from './map.js';

/** Options of {@link typedMap}: where the key/value types come from, and the codec options. */
export interface TypedMapOptions extends BtfCodecOptions {
  /**
   * BTF holding the types; default: the map's own BTF object (`bpf_map_info.btf_id`), fetched
   * from the kernel with `BPF_BTF_GET_FD_BY_ID` + `BPF_OBJ_GET_INFO_BY_FD`.
   */
  readonly btf?: Btf;
  /** Key type id in `btf`; default `bpf_map_info.btf_key_type_id`. */
  readonly keyTypeId?: number;
  /** Value type id in `btf`; default `btf_vmlinux_value_type_id` or `btf_value_type_id`. */
  readonly valueTypeId?: number;
}

/** The map's BTF object, parsed (`bpf_map_info.btf_id`). */
export function mapBtf(map: BpfMap): Btf {
  if (map.btfId === 0) throw new MapError(map.identity, 'load BTF', 'the map has no BTF (btf_id 0): pass { btf, keyTypeId, valueTypeId }', 0, 'ENOENT');
  const fd = btfGetFdById(map.btfId);
  try {
    const data = getBtfInfo(fd, { data: true }).data;
    if (data === undefined) throw new MapError(map.identity, 'load BTF', `BTF object ${map.btfId} returned no data`, 0, 'EINVAL');
    return parseBtf(data);
  } finally {
    fd.close();
  }
}

/**
 * A {@link BpfMap} whose keys and values are JS values encoded/decoded through BTF (see
 * `BtfCodecOptions` in src/btf/codec for the representation: objects for structs, `bigint`
 * for 64-bit integers, strings for `char[]`, numbers for enums, ...). Per-CPU maps read with
 * {@link getPerCpu} (one value per possible CPU) and write one value for all CPUs or an array.
 * The byte-level map stays available as {@link map}.
 *
 * @example
 * ```ts
 * const counts = typedMap<{ pid: number; comm: string }, { packets: bigint }>(map);
 * counts.set({ pid: 1, comm: 'init' }, { packets: 0n });
 * for (const [k, v] of counts.entries()) console.log(k.comm, v.packets);
 * ```
 */
export class TypedMap<K = unknown, V = unknown> {
  readonly #keyBuf: Uint8Array;
  readonly #valueBuf: Uint8Array;

  constructor(
    /** The byte-level map. */
    readonly map: BpfMap,
    /** Codec of the key type (`undefined` for keyless maps: queue, stack, bloom filter). */
    readonly keyCodec: BtfCodec<K> | undefined,
    /** Codec of the value type (one CPU's value for per-CPU maps). */
    readonly valueCodec: BtfCodec<V>,
  ) {
    if (keyCodec !== undefined && keyCodec.size !== map.keySize) {
      throw new MapError(map.identity, 'typed view', `key type ${keyCodec.typeName} is ${keyCodec.size} bytes; key_size is ${map.keySize}`, 0, 'EINVAL');
    }
    if (valueCodec.size !== map.valueSize) {
      throw new MapError(map.identity, 'typed view', `value type ${valueCodec.typeName} is ${valueCodec.size} bytes; value_size is ${map.valueSize}`, 0, 'EINVAL');
    }
    this.#keyBuf = new Uint8Array(map.keySize);
    this.#valueBuf = new Uint8Array(map.valueBufferSize);
  }

  #key(key: K): Uint8Array {
    if (this.keyCodec === undefined) throw new MapError(this.map.identity, 'typed key', 'the map has no keys (use push/pop/peek)', 0, 'EINVAL');
    return this.keyCodec.encode(key, this.#keyBuf);
  }

  #perCpuOnly(operation: string, perCpu: boolean): void {
    if (this.map.perCpu !== perCpu) {
      throw new MapError(this.map.identity, operation, perCpu ? 'not a per-CPU map: use get()' : 'per-CPU map: use getPerCpu()', 0, 'EINVAL');
    }
  }

  /** `BPF_MAP_LOOKUP_ELEM`, decoded; `undefined` when absent. Not for per-CPU maps. */
  get(key: K): V | undefined {
    this.#perCpuOnly('get', false);
    const v = this.map.lookup(this.#key(key), this.#valueBuf);
    return v === undefined ? undefined : this.valueCodec.decode(v);
  }

  /** Per-CPU maps: the value on each possible CPU; `undefined` when the key is absent. */
  getPerCpu(key: K): V[] | undefined {
    this.#perCpuOnly('getPerCpu', true);
    const v = this.map.lookup(this.#key(key), this.#valueBuf);
    if (v === undefined) return undefined;
    return Array.from({ length: this.map.cpus }, (_, i) => this.valueCodec.decode(v, i * this.map.valueStride));
  }

  #encodeValue(value: V | readonly V[]): Uint8Array {
    const buf = this.#valueBuf;
    if (!this.map.perCpu) return this.valueCodec.encode(value as V, buf);
    buf.fill(0);
    const list = Array.isArray(value) ? (value as readonly V[]) : undefined;
    if (list !== undefined && list.length !== this.map.cpus) {
      throw new MapError(this.map.identity, 'set', `${list.length} per-CPU values given; the map has ${this.map.cpus} possible CPUs`, 0, 'EINVAL');
    }
    for (let i = 0; i < this.map.cpus; i++) this.valueCodec.encode(list === undefined ? (value as V) : (list[i] as V), buf, i * this.map.valueStride);
    return buf;
  }

  /**
   * `BPF_MAP_UPDATE_ELEM`, encoded. Per-CPU maps take one value (stored on every CPU) or an
   * array with one value per possible CPU.
   */
  set(key: K, value: V | readonly V[], flags = 0): void {
    const k = this.#key(key);
    this.map.update(k, this.#encodeValue(value), flags);
  }

  /** `BPF_MAP_DELETE_ELEM`: true when the key was there. */
  delete(key: K): boolean {
    return this.map.delete(this.#key(key));
  }

  /** True when the key has a value. */
  has(key: K): boolean {
    return this.map.has(this.#key(key));
  }

  /** Every key, decoded (see `BpfMap.keys` for the deletion rules). */
  *keys(): Generator<K, void, void> {
    const codec = this.keyCodec;
    if (codec === undefined) return;
    for (const k of this.map.keys()) yield codec.decode(k);
  }

  /** Every `[key, value]`, decoded (per-CPU maps: `value` is the array of per-CPU values). */
  *entries(): Generator<[K, V | V[]], void, void> {
    const codec = this.keyCodec;
    if (codec === undefined) return;
    for (const [k, v] of this.map.entries()) {
      const value = this.map.perCpu ? Array.from({ length: this.map.cpus }, (_, i) => this.valueCodec.decode(v, i * this.map.valueStride)) : this.valueCodec.decode(v);
      yield [codec.decode(k), value];
    }
  }

  /** Queue/stack/bloom filter push of an encoded value. */
  push(value: V, flags = 0): void {
    this.map.push(this.valueCodec.encode(value, this.#valueBuf), flags);
  }

  /** Queue/stack pop, decoded. */
  pop(): V | undefined {
    const v = this.map.pop(this.#valueBuf);
    return v === undefined ? undefined : this.valueCodec.decode(v);
  }

  /** Queue/stack peek, decoded. */
  peek(): V | undefined {
    const v = this.map.peek(this.#valueBuf);
    return v === undefined ? undefined : this.valueCodec.decode(v);
  }
}

/**
 * A typed view of `map` through BTF: by default its own key/value types (maps created by a
 * loader from BTF-defined `.maps`), or the types named in `options`.
 *
 * @example
 * ```ts
 * using map = BpfMap.fromPin('/sys/fs/bpf/events');
 * const events = typedMap(map);
 * console.log(events.get(0));
 * ```
 */
export function typedMap<K = unknown, V = unknown>(map: BpfMap, options: TypedMapOptions = {}): TypedMap<K, V> {
  // struct_ops maps: the value type lives in vmlinux BTF (`btf_vmlinux_value_type_id`).
  const vmlinuxValue = options.btf === undefined && options.valueTypeId === undefined && map.btfVmlinuxValueTypeId !== 0;
  const btf = options.btf ?? (vmlinuxValue ? loadKernelBtf() : mapBtf(map));
  // Its key is a plain u32 index; take `unsigned int` from the same BTF.
  const keyTypeId = options.keyTypeId ?? (vmlinuxValue ? (btf.findByName('unsigned int', 'INT')[0] ?? 0) : map.btfKeyTypeId);
  const valueTypeId = options.valueTypeId ?? (vmlinuxValue ? map.btfVmlinuxValueTypeId : map.btfValueTypeId);
  if (valueTypeId === 0) throw new MapError(map.identity, 'typed view', 'no BTF value type: pass valueTypeId', 0, 'EINVAL');
  if (keyTypeId === 0 && map.keySize !== 0) throw new MapError(map.identity, 'typed view', 'no BTF key type: pass keyTypeId', 0, 'EINVAL');
  const codecOptions: BtfCodecOptions = {
    ...(options.charArrays === undefined ? {} : { charArrays: options.charArrays }),
    ...(options.enums === undefined ? {} : { enums: options.enums }),
  };
  const keyCodec = keyTypeId === 0 ? undefined : createBtfCodec<K>(btf, keyTypeId, codecOptions);
  return new TypedMap<K, V>(map, keyCodec, createBtfCodec<V>(btf, valueTypeId, codecOptions));
}
