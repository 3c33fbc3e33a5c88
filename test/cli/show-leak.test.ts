import { expect } from 'chai';
import { getFdById, ObjectNotFoundError } from '../../src/sys/index.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { BPFTOOL, openFdCount, runCli, ShowFixture } from '../sys/show-fixture.js';

const ITERATIONS = 1000;

/** Waits until the kernel has freed an object (freeing is deferred past an RCU grace period). */
async function gone(kind: 'prog' | 'map', id: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    try {
      getFdById(kind, id).close();
    } catch (e) {
      if (e instanceof ObjectNotFoundError) return true;
      throw e;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe('cli: show commands leak no fds and hold no objects (kernel)', function () {
  this.timeout(300_000);
  let fx: ShowFixture | undefined;

  before(function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
    fx = ShowFixture.load('clileak');
  });
  after(() => fx?.remove());

  for (const argv of [
    ['prog', 'show'],
    ['-j', 'map', 'show'],
    ['-f', 'link', 'show'],
    ['btf', 'show'],
  ]) {
    it(`${ITERATIONS} x '${argv.join(' ')}' in-process: /proc/self/fd stays flat`, async () => {
      // One warm-up run loads the command modules and the addon.
      expect((await runCli(argv)).code).to.equal(0);
      const before = openFdCount();
      for (let i = 0; i < ITERATIONS; i++) {
        const r = await runCli(argv);
        if (r.code !== 0) expect.fail(`iteration ${i}: exit ${r.code}: ${r.err}`);
      }
      expect(openFdCount()).to.equal(before);
    });
  }

  it('after the pins are removed, the objects it showed are freed (no fd kept them alive)', async () => {
    const f = fx as ShowFixture;
    const progs = [...f.progIds.values()];
    const maps = [...f.mapIds.values()];
    f.remove();
    fx = undefined;
    for (const id of progs) expect(await gone('prog', id), `prog ${id} freed`).to.equal(true);
    for (const id of maps) expect(await gone('map', id), `map ${id} freed`).to.equal(true);
  });
});
