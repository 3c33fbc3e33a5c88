import { expect } from 'chai';
import { requirePrivileges } from '../helpers/privileges.js';
import { runSoakChild } from './child.js';
import { streamFailures, type StreamSoakResult } from './stream-soak.js';

/* The short event-stream soak (60 s in `npm run soak`), in a child process of its own. */
describe('soak: ring and perf buffers under a full-speed producer and a slowed consumer', function () {
  this.timeout(60_000);
  before(function () {
    requirePrivileges(this);
  });

  it('3 s: every accepted record once, in order, intact; drops counted exactly; RSS bounded; closing under load settles every wait', async () => {
    const r = await runSoakChild<StreamSoakResult>('stream-soak.js', ['3000', '30'], { timeoutMs: 50_000 });
    // The streams carried records and lost some (else the drop accounting proves nothing).
    expect(r.ring.received).to.be.greaterThan(1000);
    expect(r.ring.kernel.dropped).to.be.greaterThan(0);
    expect(r.ring.kernel.discarded).to.be.greaterThan(0);
    for (const p of r.perf) expect(p.received, `perf cpu ${p.cpu}`).to.be.greaterThan(100);
    expect(r.closeRounds).to.equal(30);
    expect(streamFailures(r)).to.deep.equal([]);
  });
});
