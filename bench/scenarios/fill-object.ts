/**
 * The event benchmarks' producer object (bpf/bench/fill.bpf.o) loaded for bpf-ts, and the
 * sequence-number check both event scenarios make.
 */
import { loadObjectSpec, loadObjectSync, type BpfObject } from '../../src/loader/index.js';
import { FILL_OBJECT } from '../runner/repo.js';

/** Loads fill.bpf.o, sizing `bench_ring` to `ringBytes` and `bench_flows` to `flowEntries` when given. */
export async function loadFillObject(ringBytes?: number, flowEntries?: number): Promise<BpfObject> {
  const spec = await loadObjectSpec(FILL_OBJECT);
  const resize = (name: string, entries: number | undefined): void => {
    const map = spec.maps.find((m) => m.name === name);
    if (map === undefined) throw new Error(`${FILL_OBJECT} has no map ${name}`);
    if (entries !== undefined) map.maxEntries = entries;
  };
  resize('bench_ring', ringBytes);
  resize('bench_flows', flowEntries);
  return loadObjectSync(spec);
}

/** Throws unless `sum` is first + (first + 1) + ... over `count` records: none lost, none twice. */
export function checkSequenceSum(what: string, first: number, count: number, sum: number): void {
  const want = count * first + (count * (count - 1)) / 2;
  if (sum !== want) throw new Error(`${what}: sequence numbers sum to ${sum}, want ${want} for ${count} records from ${first}`);
}

/** The u64 sequence number at the start of a record (exact below 2^53), read without allocating. */
export function sequenceAt(view: DataView, offset: number): number {
  return view.getUint32(offset, true) + view.getUint32(offset + 4, true) * 4294967296;
}

/** The same for a record copy. */
export function sequenceOf(b: Uint8Array): number {
  const lo = ((b[0] as number) | ((b[1] as number) << 8) | ((b[2] as number) << 16) | ((b[3] as number) << 24)) >>> 0;
  const hi = ((b[4] as number) | ((b[5] as number) << 8) | ((b[6] as number) << 16) | ((b[7] as number) << 24)) >>> 0;
  return lo + hi * 4294967296;
}
