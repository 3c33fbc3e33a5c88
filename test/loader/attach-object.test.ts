import { join } from 'node:path';
import { expect } from 'chai';
import { attachObject, loadObject } from '../../src/loader/index.js';
import { getLinkInfo, linkGetFdById, NotSupportedError, objectIds } from '../../src/sys/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { count, getppid, loadCounters, Slot } from '../links/fixture.js';

/** Ids of the links in the kernel that run one of `progIds`. */
function linksOf(progIds: readonly number[]): number[] {
  const out: number[] = [];
  for (const id of objectIds('link')) {
    try {
      using fd = linkGetFdById(id);
      if (progIds.includes(getLinkInfo(fd).progId)) out.push(id);
    } catch {
      // freed meanwhile
    }
  }
  return out;
}

describe('loader: attachObject', function () {
  before(function () {
    requirePrivileges(this);
  });

  it('attaches the programs whose SEC() names a target, skips the others, and detaches them all on close', async () => {
    using obj = await loadCounters(['tp_getppid', 'raw_sys_enter', 'xdp_count', 'on_uprobe']);
    const progIds = [...obj.programs.values()].map((p) => p.info().id);
    const links = attachObject(obj);
    try {
      expect([...links.links.keys()]).to.deep.equal(['tp_getppid', 'raw_sys_enter']);
      expect(links.link('xdp_count')).to.equal(undefined);
      expect(linksOf(progIds)).to.have.length(2);
      getppid(7);
      expect(count(obj, Slot.TRACEPOINT)).to.equal(7n);
      expect(count(obj, Slot.RAW_TP)).to.equal(7n);
    } finally {
      links.close();
    }
    expect(links.closed).to.equal(true);
    links.close(); // idempotent
    getppid(3);
    expect(count(obj, Slot.TRACEPOINT)).to.equal(7n);
    expect(linksOf(progIds)).to.deep.equal([]);
  });

  it('when one program cannot attach, detaches those attached before it and rethrows', async () => {
    using obj = await loadObject(join(BPF_DIR, 'load', 'attach_partial.bpf.o'));
    const progIds = [...obj.programs.values()].map((p) => p.info().id);
    expect(() => attachObject(obj)).to.throw(NotSupportedError, /^program 'cannot_attach' -> tracepoint bpfts_no_such_category\/no_such_event: .*does not exist on this kernel/);
    expect(linksOf(progIds)).to.deep.equal([]);
  });
});
