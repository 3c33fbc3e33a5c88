/**
 * Scenario 3, map operations on a hash map u32 -> u64 of 200k entries: update each key, look
 * each up (and as many missing keys), dump all with BPF_MAP_LOOKUP_BATCH (1024 per call); ns per
 * operation, bpf-ts `BpfMap` vs libbpf `bpf_map_update_elem`/`bpf_map_lookup_elem`/
 * `bpf_map_lookup_batch` (bench/c/map-ops.c). Target: <= 1.25x per operation. Also reported: a
 * BTF-decoded dump of a struct-valued hash map (`bench_flows` of fill.bpf.o, 200k entries):
 * batch lookup + `BtfCodec.decode` per value vs batch lookup + libbpf `btf_dump__dump_type_data`.
 */
import { BpfMap, MapBatchCursor } from '../../src/maps/index.js';
import { MapType } from '../../src/sys/index.js';
import { buildC, runC, values } from '../runner/c-program.js';
import { FILL_OBJECT } from '../runner/repo.js';
import type { Row } from '../runner/row.js';
import { alternate, type BenchContext, type Scenario } from '../runner/scenario.js';
import { loadFillObject } from './fill-object.js';

const ENTRIES = 200_000;
const BATCH = 1024;

type Op = 'update' | 'lookup' | 'miss' | 'dump';

function nsPerOp(t0: number, ops: number): number {
  return ((performance.now() - t0) * 1e6) / ops;
}

/** Walks the whole map with lookupBatch, calling `each(values, count)` per batch; returns the entries seen. */
function batchWalk(map: BpfMap, each: (values: Uint8Array, count: number) => void): number {
  const cursor = new MapBatchCursor(map.keySize);
  const keys = new Uint8Array(BATCH * map.keySize);
  const vals = new Uint8Array(BATCH * map.valueBufferSize);
  let total = 0;
  while (!cursor.done) {
    const n = map.lookupBatch(cursor, keys, vals);
    each(vals, n);
    total += n;
  }
  return total;
}

function measureOps(tag: string): Record<Op, number> {
  using map = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: ENTRIES, name: `${tag}_h` });
  const key = new Uint8Array(4);
  const keyView = new DataView(key.buffer);
  const value = new Uint8Array(8);
  const valueView = new DataView(value.buffer);
  let t0 = performance.now();
  for (let i = 0; i < ENTRIES; i++) {
    keyView.setUint32(0, i, true);
    valueView.setUint32(0, i, true);
    map.update(key, value);
  }
  const update = nsPerOp(t0, ENTRIES);
  let sum = 0;
  t0 = performance.now();
  for (let i = 0; i < ENTRIES; i++) {
    keyView.setUint32(0, i, true);
    if (map.lookup(key, value) === undefined) throw new Error(`key ${i} missing`);
    sum += valueView.getUint32(0, true);
  }
  const lookup = nsPerOp(t0, ENTRIES);
  if (sum !== (ENTRIES * (ENTRIES - 1)) / 2) throw new Error(`lookups summed to ${sum}`);
  t0 = performance.now();
  for (let i = ENTRIES; i < 2 * ENTRIES; i++) {
    keyView.setUint32(0, i, true);
    if (map.lookup(key, value) !== undefined) throw new Error(`key ${i} found`);
  }
  const miss = nsPerOp(t0, ENTRIES);
  t0 = performance.now();
  const seen = batchWalk(map, () => {});
  const dump = nsPerOp(t0, ENTRIES);
  if (seen !== ENTRIES) throw new Error(`batch dump saw ${seen} entries`);
  return { update, lookup, miss, dump };
}

/** Fills `bench_flows` (resized to ENTRIES) and times a decoded dump; ns per entry. */
async function measureDecodedDump(): Promise<number> {
  using obj = await loadFillObject(undefined, ENTRIES);
  const map = obj.map('bench_flows');
  if (map === undefined) throw new Error('fill.bpf.o lacks bench_flows');
  const keys = new Uint8Array(ENTRIES * 4);
  const vals = new Uint8Array(ENTRIES * map.valueSize);
  const kv = new DataView(keys.buffer);
  const vv = new DataView(vals.buffer);
  for (let i = 0; i < ENTRIES; i++) {
    kv.setUint32(i * 4, i, true);
    vv.setUint32(i * map.valueSize, i, true); // packets
    vv.setUint32(i * map.valueSize + 16, i, true); // saddr
  }
  map.updateBatch(keys, vals);
  const codec = map.typed<number, { packets: bigint }>().valueCodec;
  let packets = 0n;
  const t0 = performance.now();
  const seen = batchWalk(map, (values, n) => {
    for (let i = 0; i < n; i++) packets += codec.decode(values, i * map.valueSize).packets;
  });
  const ns = nsPerOp(t0, ENTRIES);
  if (seen !== ENTRIES || packets !== BigInt((ENTRIES * (ENTRIES - 1)) / 2)) throw new Error(`decoded dump saw ${seen} entries, ${packets} packets`);
  return ns;
}

const MEASURES: ReadonlyArray<[Op, string]> = [
  ['update', 'update, existing or new key'],
  ['lookup', 'lookup, key present'],
  ['miss', 'lookup, key missing'],
  ['dump', `batch dump (${BATCH} per call), per entry`],
];

export const mapOps: Scenario = {
  name: 'maps',
  title: `hash map u32 -> u64, ${ENTRIES} entries`,
  async run(ctx: BenchContext): Promise<Row[]> {
    const binary = buildC('map-ops');
    const ts: Record<Op, number[]> = { update: [], lookup: [], miss: [], dump: [] };
    const ref: Record<Op, number[]> = { update: [], lookup: [], miss: [], dump: [] };
    const tsDecoded: number[] = [];
    const refDecoded: number[] = [];
    await alternate(ctx.rounds, [
      async () => {
        const r = measureOps(ctx.tag);
        for (const [op] of MEASURES) ts[op].push(r[op]);
        tsDecoded.push(await measureDecodedDump());
      },
      () => {
        const out = runC(binary, [FILL_OBJECT, String(ENTRIES), String(BATCH), `${ctx.tag}_h`]);
        for (const [op] of MEASURES) ref[op].push(...values(out, op));
        refDecoded.push(...values(out, 'decoded_dump'));
      },
    ]);
    const scenario = '3 map ops';
    return [
      ...MEASURES.map(([op, measure]): Row => ({ scenario, measure, unit: 'ns/op', ts: ts[op], ref: ref[op], target: { maxRatio: 1.25 } })),
      { scenario, measure: 'BTF-decoded dump of a struct-valued hash, per entry', unit: 'ns/op', ts: tsDecoded, ref: refDecoded, note: 'bpf-ts: BtfCodec.decode to objects; libbpf: btf_dump__dump_type_data to text' },
    ];
  },
};
