import type { BpfMap } from '../maps/map.js';
import { typedMap, type TypedMapOptions } from '../maps/typed-map.js';
import { HistogramError } from './errors.js';
import type { HistogramSection } from './format.js';

/** A slot index above this is not a histogram bucket but a corrupt or foreign key. */
const MAX_SLOTS = 1 << 16;

function mapLabel(map: BpfMap): string {
  return map.name === '' ? `id ${map.id}` : `'${map.name}'`;
}

/** A u32/u64 counter (little-endian, the host's order on x86), summed over CPUs for per-CPU maps. */
function counterReader(map: BpfMap): (value: Uint8Array) => bigint {
  if (map.valueSize !== 4 && map.valueSize !== 8) {
    throw new HistogramError(`value_size is ${map.valueSize}; a histogram counter is a 4- or 8-byte integer`, mapLabel(map));
  }
  const read = (bytes: Uint8Array): bigint => {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return map.valueSize === 4 ? BigInt(view.getUint32(0, true)) : view.getBigUint64(0, true);
  };
  return (value) => map.perCpuValues(value).reduce((sum, v) => sum + read(v), 0n);
}

function slotIndex(map: BpfMap, slot: unknown): number {
  const n = typeof slot === 'bigint' ? slot : typeof slot === 'number' && Number.isInteger(slot) ? BigInt(slot) : undefined;
  if (n === undefined) throw new HistogramError(`slot ${String(slot)} is not an integer`, mapLabel(map));
  if (n < 0n || n >= BigInt(MAX_SLOTS)) throw new HistogramError(`slot ${n} is out of range (0..${MAX_SLOTS - 1})`, mapLabel(map));
  return Number(n);
}

function addAt(counts: bigint[], index: number, value: bigint): void {
  while (counts.length <= index) counts.push(0n);
  counts[index] = (counts[index] ?? 0n) + value;
}

/**
 * Reads a histogram map into bucket counts (`counts[slot]`), ready for `formatLog2Histogram`
 * or `formatLinearHistogram`: an array or per-CPU array of u32/u64 counters indexed by slot
 * (per-CPU counts summed), or a hash map (plain, per-CPU, LRU) keyed by a u32/u64 slot. Arrays
 * give `max_entries` buckets; hash maps up to the largest slot present.
 *
 * @example
 * ```ts
 * using obj = await loadObject(await loadObjectSpec('biolatency.bpf.o'));
 * process.stdout.write(formatLog2Histogram(readHistogram(obj.map('hist')!), { valType: 'usecs' }));
 * ```
 */
export function readHistogram(map: BpfMap): bigint[] {
  if (map.keySize !== 4 && map.keySize !== 8) {
    throw new HistogramError(`key_size is ${map.keySize}; a plain histogram is keyed by a 4- or 8-byte slot (use readSectionHistograms for struct keys)`, mapLabel(map));
  }
  const counter = counterReader(map);
  const counts: bigint[] = [];
  for (const [key, value] of map.entries()) {
    const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
    const slot = map.keySize === 4 ? view.getUint32(0, true) : view.getBigUint64(0, true);
    addAt(counts, slotIndex(map, slot), counter(value));
  }
  return counts;
}

/** Options of {@link readSectionHistograms}. */
export interface SectionReadOptions<K = unknown> extends TypedMapOptions {
  /** The key member holding the bucket index. Default `slot`. */
  readonly slotField?: string;
  /**
   * The key member naming the section. Default: the key's only other member (bcc's first field);
   * with several other members, the section key is an object of all of them.
   */
  readonly sectionField?: string;
  /**
   * Maps a section key to the one to group by (bcc's `bucket_fn`); entries whose mapped keys are
   * equal are summed into one section.
   */
  readonly mapKey?: (key: unknown) => K;
}

/** A grouping identity for section keys that are objects or byte arrays. */
function identity(key: unknown): unknown {
  if (key === null || typeof key !== 'object') return key;
  return JSON.stringify(key, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Array.from(v) : v));
}

/**
 * Reads a per-key histogram map — a hash (or per-CPU hash) whose key is a struct with a slot
 * member and a section member, e.g. bcc's `struct { char disk[32]; u64 slot; }` — into one
 * bucket array per section, in the map's iteration order, ready for `formatSectionHistograms`.
 * The key is decoded through the map's BTF (or `btf`/`keyTypeId` given), so `char[]` sections
 * come out as strings.
 *
 * @example
 * ```ts
 * const sections = readSectionHistograms(obj.map('dist')!, { sectionField: 'disk' });
 * process.stdout.write(formatSectionHistograms(sections, { sectionHeader: 'disk', valType: 'usecs' }));
 * ```
 */
export function readSectionHistograms<K = unknown>(map: BpfMap, options: SectionReadOptions<K> = {}): HistogramSection<K>[] {
  const { slotField = 'slot', sectionField, mapKey, ...typed } = options;
  const counter = counterReader(map);
  const view = typedMap<Record<string, unknown>, unknown>(map, typed);
  const keyCodec = view.keyCodec;
  if (keyCodec === undefined) throw new HistogramError('the map has no keys', mapLabel(map));
  const sections = new Map<unknown, { key: K; counts: bigint[] }>();
  for (const [rawKey, rawValue] of map.entries()) {
    const key = keyCodec.decode(rawKey);
    if (key === null || typeof key !== 'object' || Array.isArray(key)) {
      throw new HistogramError(`key type ${keyCodec.typeName} is not a struct with a '${slotField}' member`, mapLabel(map));
    }
    if (!(slotField in key)) throw new HistogramError(`key type ${keyCodec.typeName} has no member '${slotField}'`, mapLabel(map));
    const slot = slotIndex(map, key[slotField]);
    let section: unknown;
    if (sectionField !== undefined) {
      if (!(sectionField in key)) throw new HistogramError(`key type ${keyCodec.typeName} has no member '${sectionField}'`, mapLabel(map));
      section = key[sectionField];
    } else {
      const rest = Object.entries(key).filter(([name]) => name !== slotField && !name.startsWith('__pad'));
      section = rest.length === 1 ? rest[0]?.[1] : Object.fromEntries(rest);
    }
    const grouped = (mapKey === undefined ? section : mapKey(section)) as K;
    const id = identity(grouped);
    let entry = sections.get(id);
    if (entry === undefined) {
      entry = { key: grouped, counts: [] };
      sections.set(id, entry);
    }
    addAt(entry.counts, slot, counter(rawValue));
  }
  return [...sections.values()];
}
