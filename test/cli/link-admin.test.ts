/**
 * `bpf-ts link pin` and `link detach` against bpftool 7.1: pins of the same link, the same
 * messages and exit codes; a detached cgroup link stops counting a process in the cgroup.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { attachCgroup, autoAttach, type Link } from '../../src/links/index.js';
import { loadObject, matchSection, type BpfObject } from '../../src/loader/index.js';
import { BpfMap } from '../../src/maps/index.js';
import { bpfFdKind, getLinkInfo, MapType, objGet } from '../../src/sys/index.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { count, loadCounters, program, Slot } from '../links/fixture.js';
import { BPFTOOL, callGetppid, CLI_OBJ, hitsOf, run } from './attach-fixture.js';
import { bpffsTempDir } from '../helpers/bpffs.js';

function cgroup2Root(): string {
  return existsSync('/sys/fs/cgroup/unified/cgroup.procs') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup';
}

/** A child that joins `cgroup` and sends `n` UDP datagrams to loopback. */
function sendFromCgroup(cgroup: string, n: number): void {
  const script = `require('fs').writeFileSync(${JSON.stringify(join(cgroup, 'cgroup.procs'))}, String(process.pid));
const s=require('dgram').createSocket('udp4');let i=0;const f=()=>{if(i++>=${n})return s.close();s.send('x',9,'127.0.0.1',f)};f();`;
  execFileSync(process.execPath, ['-e', script], { stdio: 'ignore' });
}

describe('bpf-ts link pin / detach vs bpftool', function () {
  this.timeout(60_000);
  let root = '';
  let obj: BpfObject | undefined;
  let link: Link | undefined;
  before(function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
  });
  beforeEach(async function () {
    root = bpffsTempDir('bpfts-linkcli-');
    obj = await loadObject(CLI_OBJ);
    const p = obj.program('count_getppid');
    if (p === undefined) throw new Error('count_getppid missing');
    const l = autoAttach(p, matchSection(p.section));
    if (l === undefined || !('info' in l)) throw new Error('expected one link');
    link = l;
    obj.map('hits')?.pin(join(root, 'hits'));
  });
  afterEach(function () {
    link?.close();
    obj?.close();
    if (root !== '') rmSync(root, { recursive: true, force: true });
  });

  it('link pin id N FILE: the same link pinned as bpftool pins it; it outlives our fd', function () {
    const id = (link as Link).info().id;
    const ours = run('bpf-ts', ['link', 'pin', 'id', String(id), join(root, 'ours')]);
    const ref = run(BPFTOOL, ['link', 'pin', 'id', String(id), join(root, 'ref')]);
    expect([ours.status, ours.stdout, ours.stderr]).to.deep.equal([ref.status, ref.stdout, ref.stderr]);
    expect(ours.status).to.equal(0);
    for (const p of ['ours', 'ref']) {
      using fd = objGet(join(root, p));
      expect(bpfFdKind(fd)).to.equal('link');
      expect(getLinkInfo(fd).id).to.equal(id);
    }
    link?.close();
    const before = hitsOf(join(root, 'hits'), process.pid);
    callGetppid(7);
    expect(hitsOf(join(root, 'hits'), process.pid) - before).to.equal(7n);
    // -j prints null, as bpftool.
    expect(run('bpf-ts', ['-j', 'link', 'pin', 'pinned', join(root, 'ours'), join(root, 'again')]).stdout).to.equal('null\n');
  });

  it('errors: the same messages and exit codes as bpftool', function () {
    {
      using m = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
      m.pin(join(root, 'a_map'));
    }
    const id = String((link as Link).info().id);
    (link as Link).pin(join(root, 'taken'));
    const cases: string[][] = [
      ['link', 'pin', 'id', '1'],
      ['link', 'pin', 'id', '4000000000', join(root, 'x')],
      ['link', 'pin', 'id', 'abc', join(root, 'x')],
      ['link', 'pin', 'pinned', join(root, 'a_map'), join(root, 'x')],
      ['link', 'pin', 'id', id, join(root, 'taken')],
      ['link', 'detach'],
      ['link', 'detach', 'id', '4000000000'],
      ['link', 'detach', 'id', id, 'extra'],
      ['link', 'detach', 'pinned', join(root, 'a_map')],
      ['link', 'detach', 'pinned', join(root, 'nothing')],
      // A perf_event link (the tracepoint) cannot be detached: EOPNOTSUPP.
      ['link', 'detach', 'id', id],
    ];
    for (const args of cases) {
      const ours = run('bpf-ts', args);
      const ref = run(BPFTOOL, args);
      expect([ours.status, ours.stderr], args.join(' ')).to.deep.equal([ref.status, ref.stderr]);
      expect(ours.status, args.join(' ')).not.to.equal(0);
    }
  });

  it('link detach: a detached cgroup link stops running; its pin stays, defunct', async function () {
    const cgroup = join(cgroup2Root(), `bpfts-linkcli-${process.pid}`);
    mkdirSync(cgroup);
    const counters = await loadCounters(['cgroup_egress_count']);
    try {
      {
        using l = attachCgroup(program(counters, 'cgroup_egress_count'), { cgroup });
        l.pin(join(root, 'cg_ours'));
      }
      let before = count(counters, Slot.CGROUP_SKB);
      sendFromCgroup(cgroup, 4);
      expect(count(counters, Slot.CGROUP_SKB) - before >= 4n).to.equal(true);

      const r = run('bpf-ts', ['link', 'detach', 'pinned', join(root, 'cg_ours')]);
      expect([r.status, r.stdout, r.stderr]).to.deep.equal([0, '', '']);
      before = count(counters, Slot.CGROUP_SKB);
      sendFromCgroup(cgroup, 4);
      expect(count(counters, Slot.CGROUP_SKB)).to.equal(before);
      expect(run(BPFTOOL, ['cgroup', 'show', cgroup]).stdout).to.equal('');
      using fd = objGet(join(root, 'cg_ours'));
      expect(bpfFdKind(fd)).to.equal('link');

      // bpftool on a second cgroup link: the same result.
      {
        using l = attachCgroup(program(counters, 'cgroup_egress_count'), { cgroup });
        l.pin(join(root, 'cg_ref'));
      }
      expect(run(BPFTOOL, ['cgroup', 'show', cgroup]).stdout).to.contain('cgroup_egress_count');
      const ref = run(BPFTOOL, ['-j', 'link', 'detach', 'pinned', join(root, 'cg_ref')]);
      const ours = run('bpf-ts', ['-j', 'link', 'detach', 'pinned', join(root, 'cg_ours')]);
      expect(ours.stdout).to.equal(ref.stdout);
      expect(run(BPFTOOL, ['cgroup', 'show', cgroup]).stdout).to.equal('');
    } finally {
      counters.close();
      rmSync(join(root, 'cg_ours'), { force: true });
      rmSync(join(root, 'cg_ref'), { force: true });
      rmdirSync(cgroup);
    }
  });
});
