/**
 * `bpf-ts cgroup show|tree|attach|detach` against bpftool 7.1 in a cgroup v2 subtree the test
 * creates: attachments made by either tool are listed identically (plain, -j, -p, effective,
 * tree), the attached programs run for a process the test moves into the cgroup, detach stops
 * them, and errors match bpftool's.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { BpfObject } from '../../src/loader/index.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { count, loadCounters, Slot } from '../links/fixture.js';
import { BPFTOOL, run } from './attach-fixture.js';
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

describe('bpf-ts cgroup vs bpftool', function () {
  this.timeout(120_000);
  const cg = join(cgroup2Root(), `bpfts-cgcli-${process.pid}`);
  const sub = join(cg, 'sub');
  let root = '';
  let obj: BpfObject | undefined;
  let egress = '';
  let create = '';

  before(async function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
    mkdirSync(sub, { recursive: true });
    root = bpffsTempDir('bpfts-cgcli-');
    obj = await loadCounters(['cgroup_egress_count', 'cgroup_sock_create_count']);
    egress = join(root, 'egress');
    create = join(root, 'create');
    obj.program('cgroup_egress_count')?.pin(egress);
    obj.program('cgroup_sock_create_count')?.pin(create);
  });
  after(function () {
    for (const [where, type, pin] of [[cg, 'egress', egress], [sub, 'sock_create', create]] as const) {
      if (pin !== '') run(BPFTOOL, ['cgroup', 'detach', where, type, 'pinned', pin]);
    }
    obj?.close();
    if (root !== '') rmSync(root, { recursive: true, force: true });
    if (existsSync(sub)) rmdirSync(sub);
    if (existsSync(cg)) rmdirSync(cg);
  });

  it('attach (ours: multi on the parent; bpftool: on the child), then show/tree identical to bpftool; the programs run', function () {
    const a = run('bpf-ts', ['cgroup', 'attach', cg, 'egress', 'pinned', egress, 'multi']);
    expect([a.status, a.stdout, a.stderr]).to.deep.equal([0, '', '']);
    const b = run(BPFTOOL, ['cgroup', 'attach', sub, 'sock_create', 'pinned', create]);
    expect(b.status).to.equal(0);
    const views: string[][] = [
      ['cgroup', 'show', cg],
      ['cgroup', 'show', sub],
      ['cgroup', 'show', sub, 'effective'],
      ['cgroup', 'tree', cg],
      ['cgroup', 'tree', cg, 'effective'],
      ['-j', 'cgroup', 'show', cg],
      ['-j', 'cgroup', 'show', sub, 'effective'],
      ['-p', 'cgroup', 'tree', cg],
      ['-j', 'cgroup', 'tree', cg, 'effective'],
    ];
    for (const args of views) {
      const ours = run('bpf-ts', args);
      const ref = run(BPFTOOL, args);
      expect([ours.status, ours.stdout, ours.stderr], args.join(' ')).to.deep.equal([ref.status, ref.stdout, ref.stderr]);
    }
    const shown = run('bpf-ts', ['cgroup', 'show', sub, 'effective']).stdout;
    expect(shown).to.match(/^\d+ +cgroup_inet_egress cgroup_egress_count/m);
    expect(shown).to.match(/^\d+ +cgroup_inet_sock_create cgroup_sock_create_count/m);

    const skb = count(obj as BpfObject, Slot.CGROUP_SKB);
    const sock = count(obj as BpfObject, Slot.CGROUP_SOCK);
    sendFromCgroup(sub, 5);
    expect(count(obj as BpfObject, Slot.CGROUP_SKB) - skb >= 5n).to.equal(true);
    expect(count(obj as BpfObject, Slot.CGROUP_SOCK) - sock >= 1n).to.equal(true);
  });

  it('detach: the program leaves the cgroup and stops running; detaching again fails as in bpftool', function () {
    const d = run('bpf-ts', ['-j', 'cgroup', 'detach', cg, 'cgroup_inet_egress', 'pinned', egress]);
    expect([d.status, d.stdout, d.stderr]).to.deep.equal([0, 'null\n', '']);
    expect(run('bpf-ts', ['cgroup', 'show', cg]).stdout).to.equal(run(BPFTOOL, ['cgroup', 'show', cg]).stdout);
    expect(run('bpf-ts', ['cgroup', 'show', cg]).stdout).not.to.contain('cgroup_egress_count');
    const skb = count(obj as BpfObject, Slot.CGROUP_SKB);
    sendFromCgroup(sub, 3);
    expect(count(obj as BpfObject, Slot.CGROUP_SKB)).to.equal(skb);
    const again = ['cgroup', 'detach', cg, 'egress', 'pinned', egress];
    const ours = run('bpf-ts', again);
    const ref = run(BPFTOOL, again);
    expect([ours.status, ours.stderr]).to.deep.equal([ref.status, ref.stderr]);
    expect(ours.status).to.equal(255);
  });

  it('errors: the same messages and exit codes as bpftool', function () {
    const cases: string[][] = [
      ['cgroup', 'attach', cg, 'egress'],
      ['cgroup', 'attach', join(cg, 'nope'), 'egress', 'pinned', egress],
      ['cgroup', 'attach', cg, 'bogus_type', 'pinned', egress],
      ['cgroup', 'attach', cg, 'egress', 'pinned', egress, 'sometimes'],
      ['cgroup', 'detach', cg, 'egress'],
      ['cgroup', 'show', join(cg, 'nope')],
      ['cgroup', 'show', cg, 'bogus'],
      ['cgroup', 'show', cg, 'effective', 'effective'],
      ['cgroup', 'tree', cg, 'bogus'],
    ];
    for (const args of cases) {
      const ours = run('bpf-ts', args);
      const ref = run(BPFTOOL, args);
      expect([ours.status, ours.stderr], args.join(' ')).to.deep.equal([ref.status, ref.stderr]);
      expect(ours.status, args.join(' ')).not.to.equal(0);
    }
  });
});
