import { expect } from 'chai';
import { join } from 'node:path';
import { SkeletonError } from '../../src/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { DemoKind, DemoSkeleton, type DemoEvent } from './generated/demo.skel.js';

/*
 * bpf/skel/demo.bpf.c through its generated skeleton: `.rodata` set before load, tracepoints
 * attached by attach(), triggered by this process's own getppid() calls (`process.ppid`), read
 * back through `.bss`, a typed hash map and a ring buffer of typed records.
 */
describe('skeleton demo: open -> set rodata -> load -> attach -> read typed results', function () {
  before(function () {
    requirePrivileges(this);
  });

  it('counts and records this process getppid() calls, typed end to end', () => {
    using skel = DemoSkeleton.open();
    expect(skel.rodata.target_tgid).to.equal(0);
    expect(skel.data.seq_base).to.equal(1000n);
    skel.rodata.target_tgid = process.pid;
    skel.data.seq_base = 5000n;
    skel.load().attach();
    expect([...skel.links.keys()].sort()).to.deep.equal(['on_enter', 'on_exit']);
    skel.attach(); // attached already: no second set of links (the counts below would double)
    expect(skel.links.size).to.equal(2);
    expect(skel.rodata.target_tgid).to.equal(process.pid);
    expect(skel.bss.hits).to.equal(0n);

    using reader = skel.maps.events.open();
    const calls = 3;
    for (let i = 0; i < calls; i++) void process.ppid;
    expect(skel.bss.hits).to.equal(BigInt(calls));

    const events: DemoEvent[] = [];
    reader.consume((view, offset) => {
      events.push(skel.maps.events.decode(new Uint8Array(view.buffer, view.byteOffset), offset));
    });
    expect(events).to.have.length(2 * calls);
    const tid = events[0]!.tid;
    events.forEach((e, i) => {
      expect(e.tgid, `event ${i}`).to.equal(process.pid);
      expect(e.tid).to.equal(tid);
      expect(e.kind).to.equal(i % 2 === 0 ? DemoKind.DEMO_ENTER : DemoKind.DEMO_EXIT);
      // Enter increments hits after taking seq; exit sees the incremented count.
      expect(e.seq).to.equal(5000n + BigInt(Math.floor(i / 2)) + (i % 2 === 0 ? 0n : 1n));
      expect(e.comm).to.be.a('string').and.not.equal('');
    });
    expect(skel.maps.stats.get(tid)).to.deep.equal({ calls: BigInt(2 * calls), last_seq: 5000n + BigInt(calls) });

    // .data is live: a write from TypeScript is what the next event sees.
    skel.data.seq_base = 9000n;
    void process.ppid;
    const next: DemoEvent[] = [];
    reader.consume((view, offset) => {
      next.push(skel.maps.events.codec.decode(new Uint8Array(view.buffer, view.byteOffset), offset));
    });
    expect(next.map((e) => e.seq)).to.deep.equal([9000n + BigInt(calls), 9000n + BigInt(calls) + 1n]);

    // After detach nothing is counted.
    skel.detach();
    void process.ppid;
    expect(skel.bss.hits).to.equal(BigInt(calls + 1));
  });

  it('.rodata is read-only after load; maps need load(); close() releases everything', () => {
    const skel = DemoSkeleton.open();
    expect(() => skel.maps).to.throw(SkeletonError, "skeleton 'demo' maps: not loaded yet: call load() first");
    skel.rodata.target_tgid = 1;
    skel.load();
    expect(() => (skel.rodata.target_tgid = 2)).to.throw(SkeletonError, "skeleton 'demo' rodata.target_tgid: is read-only after load (.rodata is frozen); set it before load()");
    expect(skel.rodata.target_tgid).to.equal(1);
    expect(() => skel.load()).to.throw(SkeletonError, "skeleton 'demo' load(): already loaded");
    skel.attach();
    skel.close();
    expect(skel.loaded).to.equal(false);
    expect(skel.links.size).to.equal(0);
    expect(() => skel.maps).to.throw(SkeletonError, 'the skeleton is closed');
  });

  it('open() takes the object from a path instead of the embedded copy', () => {
    using skel = DemoSkeleton.open({ object: { path: join(BPF_DIR, 'skel', 'demo.bpf.o') } });
    expect(skel.spec.fileName).to.equal('demo.bpf.o');
    expect(skel.spec.objectName).to.equal('demo');
    expect(skel.spec.map('demo.rodata')).to.not.equal(undefined);
    expect(skel.data.seq_base).to.equal(1000n);
  });
});
