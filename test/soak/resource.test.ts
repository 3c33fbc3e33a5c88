import { expect } from 'chai';
import { requirePrivileges } from '../helpers/privileges.js';
import { runSoakChild } from './child.js';
import { resourceFailures, type ResourceSoakResult } from './resource-cycles.js';

/*
 * The short resource soak (the 10,000-cycle run is `npm run soak`), and the finalizers: both in
 * child processes, whose fd tables and RSS nothing else touches.
 */
describe('soak: resources return to baseline', function () {
  this.timeout(120_000);
  before(function () {
    requirePrivileges(this);
  });

  it('200 open/load/attach/trigger/read/close cycles leave no fd, program, map, link or BTF object, and RSS flat', async () => {
    const r = await runSoakChild<ResourceSoakResult>('resource-cycles.js', ['200'], { timeoutMs: 110_000 });
    expect(r.cycles).to.equal(200);
    // The program ran: each cycle read as many records as it made getppid() calls.
    expect(r.triggers).to.equal(600);
    expect(resourceFailures(r)).to.deep.equal([]);
  });

  it('objects, links and readers dropped without close() are closed by their finalizers', async () => {
    const r = await runSoakChild<{
      count: number;
      records: number;
      fdsBaseline: number;
      fdsDropped: number;
      fdsAfter: number;
      created: Record<string, number>;
      aliveBefore: Record<string, number>;
      aliveAfter: Record<string, number[]>;
    }>('forget-child.js', ['20'], { timeoutMs: 60_000 });
    expect(r.records, `records per load (read + kernel-skipped): ${JSON.stringify((r as { perLoad?: number[] }).perLoad)}`).to.equal(20);
    // Before the collection every dropped handle still held its kernel object (or the check
    // below would prove nothing): 20 programs, links and BTF objects, 60 maps, and their fds.
    expect(r.created).to.deep.equal({ prog: 20, map: 60, link: 20, btf: 20 });
    expect(r.aliveBefore).to.deep.equal(r.created);
    expect(r.fdsDropped - r.fdsBaseline).to.be.at.least(20 * 4);
    expect(r.fdsAfter, `fds opened meanwhile: ${JSON.stringify((r as { fdsNew?: unknown }).fdsNew)}`).to.equal(r.fdsBaseline);
    expect(r.aliveAfter).to.deep.equal({ prog: [], map: [], link: [], btf: [] });
  });
});
