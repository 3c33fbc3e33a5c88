import { expect } from 'chai';
import { join } from 'node:path';
import { openSkeletonSpec, Skeleton, SkeletonError, type BpfProgram, type SkeletonLayout } from '../../src/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';

/*
 * Data section accessors over bpf/globals.bpf.o (custom `.data.*`/`.rodata.*` sections, arrays,
 * strings, bool, a struct in .bss): the layout and types are what `gen skeleton` writes for it.
 */
const layout: SkeletonLayout = {
  name: 'globals',
  programs: { count_openat: 'count_openat' },
  maps: {},
  sections: { rodata: '.rodata', data: '.data', data_custom: '.data.custom', rodata_limits: '.rodata.limits', bss: '.bss' },
};

class GlobalsSkeleton extends Skeleton<{ readonly count_openat: BpfProgram }, object> {
  get rodata(): { min_duration_ns: bigint; target_pid: number; verbose: boolean; prefix: string } {
    return this.section('rodata');
  }
  get data(): { sample_rate: number; adjust: number; thresholds: bigint[] } {
    return this.section('data');
  }
  get data_custom(): { custom_counter: number; custom_big: bigint } {
    return this.section('data_custom');
  }
  get rodata_limits(): { custom_limit: number } {
    return this.section('rodata_limits');
  }
  get bss(): { total_events: bigint; stats: { hits: number; misses: number } } {
    return this.section('bss');
  }
}

describe('skeleton runtime: data section accessors before and after load', function () {
  it('reads the initial values and sets them on the spec before load (no kernel)', () => {
    const spec = openSkeletonSpec({ path: join(BPF_DIR, 'globals.bpf.o') }, layout);
    const skel = new GlobalsSkeleton(spec, layout);
    expect(skel.rodata).to.deep.equal({ min_duration_ns: 0n, target_pid: -1, verbose: false, prefix: 'tsk:' });
    expect(skel.data.thresholds).to.deep.equal([10n, 20n, 30n, 40n]);
    expect(skel.data_custom).to.deep.equal({ custom_counter: 7, custom_big: 0x1122334455667788n });
    skel.rodata.target_pid = 1234;
    skel.rodata.prefix = 'ts';
    expect(spec.variables.get('target_pid')!.get()).to.equal(1234n);
    expect(spec.variables.get('prefix')!.bytes()).to.deep.equal(Uint8Array.of(0x74, 0x73, 0, 0, 0, 0, 0, 0));
    expect(() => ((skel.rodata as Record<string, unknown>)['nope'] = 1)).to.throw(TypeError);
  });

  it('after load: values set before are in the maps, .data sections are live, .rodata sections are read-only', function () {
    requirePrivileges(this);
    using skel = new GlobalsSkeleton(openSkeletonSpec({ path: join(BPF_DIR, 'globals.bpf.o') }, layout), layout);
    skel.rodata.min_duration_ns = 5_000_000n;
    skel.data.thresholds = [1n, 2n, 3n, 4n];
    skel.rodata_limits.custom_limit = 99;
    skel.load();
    expect(skel.rodata.min_duration_ns).to.equal(5_000_000n);
    expect(skel.rodata_limits.custom_limit).to.equal(99);
    expect(skel.data.thresholds).to.deep.equal([1n, 2n, 3n, 4n]);
    skel.data_custom.custom_big = 42n;
    skel.bss.stats = { hits: 3, misses: 4 };
    // The kernel's copy, read with a map lookup rather than through the mapping.
    const custom = skel.object.map('.data.custom')!.lookup(new Uint8Array(4))!;
    expect(new DataView(custom.buffer, custom.byteOffset).getBigUint64(8, true)).to.equal(42n);
    expect(skel.bss.stats).to.deep.equal({ hits: 3, misses: 4 });
    expect(() => (skel.rodata_limits.custom_limit = 1)).to.throw(SkeletonError, "skeleton 'globals' rodata_limits.custom_limit: is read-only after load (.rodata.limits is frozen)");
  });
});
