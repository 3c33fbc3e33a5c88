import { expect } from 'chai';
import { join } from 'node:path';
import { loadObject, loadObjectSpec, readHistogram, readSectionHistograms, formatSectionHistograms, HistogramError, BpfMap, MapType, type BpfObject } from '../../src/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';

const OBJ = join(BPF_DIR, 'run', 'kill_events.bpf.o');

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}
function u64(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
}
function map(obj: BpfObject, name: string): BpfMap {
  const m = obj.map(name);
  if (m === undefined) throw new Error(`map ${name} missing`);
  return m;
}

describe('histogram: reading maps', function () {
  let obj: BpfObject | undefined;

  before(async function () {
    requirePrivileges(this);
    obj = await loadObject(await loadObjectSpec(OBJ));
  });
  after(() => obj?.close());

  it('an array of u64 counters: max_entries buckets, counts as written', function () {
    const hist = map(obj!, 'hist');
    hist.update(u32(3), u64(7n));
    hist.update(u32(64), u64(2n ** 64n - 1n));
    const counts = readHistogram(hist);
    expect(counts).to.have.length(65);
    expect(counts[3]).to.equal(7n);
    expect(counts[64]).to.equal(2n ** 64n - 1n);
    expect(counts.filter((c) => c !== 0n)).to.have.length(2);
  });

  it('a per-CPU array: each bucket summed over the possible CPUs', function () {
    const lin = map(obj!, 'lin');
    const perCpu = Array.from({ length: lin.cpus }, (_, i) => u64(BigInt(i + 1)));
    lin.update(u32(5), lin.perCpuBuffer(perCpu));
    const counts = readHistogram(lin);
    expect(counts).to.have.length(16);
    expect(counts[5]).to.equal(BigInt((lin.cpus * (lin.cpus + 1)) / 2));
  });

  it('a hash keyed by u32 slots: buckets up to the largest slot', function () {
    using h = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 8, name: 'runeng_h' });
    h.update(u32(2), u32(9));
    h.update(u32(6), u32(1));
    expect(readHistogram(h)).to.deep.equal([0n, 0n, 9n, 0n, 0n, 0n, 1n]);
  });

  it('a hash keyed by struct { sig, slot }: one section per sig, decoded through BTF', function () {
    const bySig = map(obj!, 'hist_by_sig');
    const key = (sig: number, slot: number): Uint8Array => {
      const b = new Uint8Array(8);
      const v = new DataView(b.buffer);
      v.setUint32(0, sig, true);
      v.setUint32(4, slot, true);
      return b;
    };
    bySig.update(key(0, 2), u64(4n));
    bySig.update(key(0, 3), u64(1n));
    bySig.update(key(9, 1), u64(6n));
    const sections = readSectionHistograms(bySig).sort((a, b) => Number(a.key) - Number(b.key));
    expect(sections).to.deep.equal([
      { key: 0, counts: [0n, 0n, 4n, 1n] },
      { key: 9, counts: [0n, 6n] },
    ]);
    expect(formatSectionHistograms(sections, { sectionHeader: 'sig' })).to.match(/^\nsig = 0\n {5}value {15}: count {5}distribution\n/);
    // bcc's bucket_fn: both signals folded into one section, counts summed.
    const folded = readSectionHistograms(bySig, { sectionField: 'sig', mapKey: () => 'all' });
    expect(folded).to.deep.equal([{ key: 'all', counts: [0n, 6n, 4n, 1n] }]);
  });

  it('refuses maps that are not histograms, naming the map', function () {
    // An 8-byte struct key reads as a u64 slot: far out of range.
    expect(() => readHistogram(map(obj!, 'hist_by_sig'))).to.throw(HistogramError, /^histogram map 'hist_by_sig': slot \d{10,} is out of range \(0\.\.65535\)$/);
    expect(() => readSectionHistograms(map(obj!, 'hist_by_sig'), { slotField: 'bucket' })).to.throw(HistogramError, "histogram map 'hist_by_sig': key type struct sig_slot has no member 'bucket'");
    expect(() => readSectionHistograms(map(obj!, 'hist'))).to.throw(HistogramError, "histogram map 'hist': key type __u32 is not a struct with a 'slot' member");
    using keyed = BpfMap.create({ type: MapType.HASH, keySize: 12, valueSize: 8, maxEntries: 1, name: 'runeng_k' });
    expect(() => readHistogram(keyed)).to.throw(HistogramError, "histogram map 'runeng_k': key_size is 12; a plain histogram is keyed by a 4- or 8-byte slot");
    using wide = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1, name: 'runeng_w' });
    expect(() => readHistogram(wide)).to.throw(HistogramError, "histogram map 'runeng_w': value_size is 16; a histogram counter is a 4- or 8-byte integer");
  });
});
