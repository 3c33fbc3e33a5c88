import { expect } from 'chai';
import type { BpfObject } from '../../src/loader/index.js';
import { matchSection } from '../../src/loader/index.js';
import { attach, attachIter, autoAttach, IterLink, LinkError } from '../../src/links/index.js';
import { readFileSync } from 'node:fs';
import { LinkType, mapCreate, MapType, OwnedFd } from '../../src/sys/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { loadCounters, program, closeCheckingLinks } from './fixture.js';

describe('links: iterators', function () {
  let obj: BpfObject;

  before(async function () {
    requirePrivileges(this);
    obj = await loadCounters(['dump_task', 'dump_map']);
  });
  after(() => closeCheckingLinks(obj));

  it('iter/task lists this process with its comm; each read() is a new walk', function () {
    using it = attachIter(program(obj, 'dump_task'), { targetName: 'task' });
    const comm = readFileSync('/proc/self/comm', 'utf8').trim();
    const kthreadd = readFileSync('/proc/2/comm', 'utf8').trim();
    for (let walk = 0; walk < 2; walk++) {
      const lines = it.read().trim().split('\n');
      expect(lines).to.include(`${process.pid} ${comm}`);
      expect(lines).to.include(`2 ${kthreadd}`);
    }
    const info = it.info();
    expect(info.type).to.equal(LinkType.ITER);
    expect(info.details).to.deep.include({ kind: 'iter', targetName: 'task' });
  });

  it('iter/bpf_map lists a map created by the test, by id and name; auto-attach and attach() agree', async function () {
    using map = new OwnedFd(mapCreate({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: 'bpfts_iter_me' }), 'map');
    const id = obj.map('counts')!.info().id;
    const p = program(obj, 'dump_map');
    using viaAuto = autoAttach(p, matchSection(p.section)) as IterLink;
    expect(viaAuto).to.be.instanceOf(IterLink);
    const text = viaAuto.read();
    expect(text).to.match(/^\d+ bpfts_iter_me$/m);
    expect(text).to.include(`${id} counts\n`);
    using viaAttach = attach(p) as IterLink;
    const chunks: Buffer[] = [];
    for await (const c of viaAttach.stream()) chunks.push(Buffer.from(c as Uint8Array));
    expect(Buffer.concat(chunks).toString()).to.include(`${id} counts\n`);
    expect(map.closed).to.equal(false);
  });

  it('iterator links cannot be updated or detached: errors name the link', function () {
    using it = attachIter(program(obj, 'dump_map'), { targetName: 'bpf_map' });
    expect(() => it.update(program(obj, 'dump_task'))).to.throw(LinkError, /^program 'dump_map' -> iter bpf_map: update to program 'dump_task' failed/);
  });
});
