import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BpfObject } from '../../src/loader/index.js';
import { attach, attachCgroup, LinkError } from '../../src/links/index.js';
import { AttachType, LinkType } from '../../src/sys/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { count, loadCounters, program, Slot, closeCheckingLinks } from './fixture.js';

/** The cgroup v2 hierarchy: /sys/fs/cgroup/unified on hybrid systems, else /sys/fs/cgroup. */
function cgroup2Root(): string {
  return existsSync('/sys/fs/cgroup/unified/cgroup.procs') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup';
}

/** Runs a child that joins `cgroup`, opens a UDP socket and sends `n` datagrams to loopback. */
function runInCgroup(cgroup: string, n: number): void {
  const script = `require('fs').writeFileSync(${JSON.stringify(join(cgroup, 'cgroup.procs'))}, String(process.pid));
const s=require('dgram').createSocket('udp4');let i=0;const f=()=>{if(i++>=${n})return s.close();s.send('x',9,'127.0.0.1',f)};f();`;
  execFileSync(process.execPath, ['-e', script], { stdio: 'ignore' });
}

describe('links: cgroup', function () {
  let obj: BpfObject;
  let cgroup: string;

  before(async function () {
    requirePrivileges(this);
    obj = await loadCounters(['cgroup_egress_count', 'cgroup_sock_create_count']);
    cgroup = join(cgroup2Root(), `bpfts-links-${process.pid}`);
    mkdirSync(cgroup);
  });
  after(() => {
    try {
      closeCheckingLinks(obj);
    } finally {
      if (cgroup !== undefined && existsSync(cgroup)) rmdirSync(cgroup);
    }
  });

  it('cgroup_skb/egress and cgroup/sock_create links count what a process in the cgroup does', function () {
    const skb = count(obj, Slot.CGROUP_SKB);
    const sock = count(obj, Slot.CGROUP_SOCK);
    {
      using egress = attachCgroup(program(obj, 'cgroup_egress_count'), { cgroup });
      using _create = attach(program(obj, 'cgroup_sock_create_count'), { cgroup });
      const info = egress.info();
      expect(info.type).to.equal(LinkType.CGROUP);
      // A cgroup v2 id is its directory's inode number.
      expect(info.details).to.deep.equal({ kind: 'cgroup', cgroupId: BigInt(statSync(cgroup).ino), attachType: AttachType.CGROUP_INET_EGRESS });
      runInCgroup(cgroup, 6);
    }
    expect(count(obj, Slot.CGROUP_SKB) - skb >= 6n).to.equal(true);
    expect(count(obj, Slot.CGROUP_SOCK) - sock >= 1n).to.equal(true);
    const after = count(obj, Slot.CGROUP_SKB);
    runInCgroup(cgroup, 3);
    expect(count(obj, Slot.CGROUP_SKB)).to.equal(after, 'closed links no longer run');
  });

  it('a process outside the cgroup is not counted', function () {
    using _egress = attachCgroup(program(obj, 'cgroup_egress_count'), { cgroup });
    const skb = count(obj, Slot.CGROUP_SKB);
    runInCgroup(cgroup2Root(), 4);
    expect(count(obj, Slot.CGROUP_SKB)).to.equal(skb);
  });

  it('cgroup links detach() (then stay defunct) and refuse update() to a program of another type', function () {
    using link = attachCgroup(program(obj, 'cgroup_egress_count'), { cgroup });
    expect(() => link.update(program(obj, 'cgroup_sock_create_count'))).to.throw(LinkError, /update to program 'cgroup_sock_create_count' failed \(EINVAL: /);
    link.update(program(obj, 'cgroup_egress_count'));
    link.detach();
    const skb = count(obj, Slot.CGROUP_SKB);
    runInCgroup(cgroup, 3);
    expect(count(obj, Slot.CGROUP_SKB)).to.equal(skb);
  });

  it('a missing cgroup directory or attach type is a LinkError', function () {
    expect(() => attachCgroup(program(obj, 'cgroup_egress_count'), { cgroup: '/sys/fs/cgroup/unified/no-such-bpfts' })).to.throw(
      LinkError,
      "program 'cgroup_egress_count' -> cgroup /sys/fs/cgroup/unified/no-such-bpfts cgroup_inet_egress: cannot open cgroup directory: ENOENT",
    );
    expect(() => attachCgroup({ fd: program(obj, 'cgroup_egress_count').fd, name: 'anon' }, { cgroup })).to.throw(
      LinkError,
      `program 'anon' -> cgroup ${cgroup}: no cgroup attach type: pass attachType (the program has no expectedAttachType)`,
    );
  });
});
