import { expect } from 'chai';
import { openSkeletonSpec, PerfBufferEvents, RingBufferEvents, Skeleton, TypedMap, type BpfMap, type BpfProgram, type SkeletonLayout } from '../../src/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { PRODUCERS_OBJ, producePerf } from '../events/producers.js';

/** `struct record` of bpf/events/producers.bpf.c. */
interface ProducerRecord {
  seq: bigint;
  cpu: number;
  len: number;
  payload: bigint[];
}

/*
 * The skeleton runtime without generated code: a layout written by hand (what `--type
 * rb=record --type perf=record` generates) over bpf/events/producers.bpf.o, whose perf event
 * array the demo skeleton does not have.
 */
const layout: SkeletonLayout = {
  name: 'producers',
  programs: { produce_perf: 'produce_perf' },
  maps: {
    perf: { name: 'perf', kind: 'records', record: { kind: 'STRUCT', name: 'record' } },
    rb: { name: 'rb', kind: 'records', record: { kind: 'STRUCT', name: 'record' } },
    stats: { name: 'stats', kind: 'typed' },
    urb: { name: 'urb', kind: 'raw' },
  },
  sections: {},
};

class ProducersSkeleton extends Skeleton<
  { readonly produce_perf: BpfProgram },
  { readonly perf: PerfBufferEvents<ProducerRecord>; readonly rb: RingBufferEvents<ProducerRecord>; readonly stats: TypedMap<number, { attempted: bigint; submitted: bigint; dropped: bigint; discarded: bigint }>; readonly urb: BpfMap }
> {}

describe('skeleton runtime: typed perf buffer records', function () {
  before(function () {
    requirePrivileges(this);
  });

  it('a perf event array of typed records: open() gives a PerfBufferReader, the codec decodes samples', () => {
    using skel = new ProducersSkeleton(openSkeletonSpec({ path: PRODUCERS_OBJ }, layout), layout).load({ programs: ['produce_perf'] });
    expect(skel.maps.perf).to.be.instanceOf(PerfBufferEvents);
    expect(skel.maps.rb).to.be.instanceOf(RingBufferEvents);
    expect(skel.maps.stats).to.be.instanceOf(TypedMap);
    using reader = skel.maps.perf.open();
    producePerf(skel.object, 0, 100n, 3);
    const got: ProducerRecord[] = [];
    reader.consume((view, offset) => void got.push(skel.maps.perf.decode(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), offset)));
    expect(got.map((r) => [r.seq, r.cpu, r.len])).to.deep.equal([
      [100n, 0, 64],
      [101n, 0, 64],
      [102n, 0, 64],
    ]);
    expect(got[1]!.payload).to.deep.equal([0, 1, 2, 3, 4, 5].map((i) => BigInt.asUintN(64, 101n * 0x9e3779b97f4a7c15n + BigInt(i))));
  });
});
