import { expect } from 'chai';
import { DEFAULT_STOP_SIGNALS, stopOnSignals } from '../../src/index.js';

/** Sends `signal` to this process for real and lets its handlers run. */
async function raise(signal: NodeJS.Signals): Promise<void> {
  process.kill(process.pid, signal);
  await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('signals: stopOnSignals', () => {
  // SIGUSR2 stands for SIGINT here: the test runner must not see a Ctrl-C, and an unhandled
  // SIGUSR2 kills the process as one would, so a handler that went away shows.
  const signals: NodeJS.Signals[] = ['SIGUSR2'];

  it('handles SIGINT, SIGTERM and SIGHUP by default, and removes its handlers when disposed', () => {
    expect(DEFAULT_STOP_SIGNALS).to.deep.equal(['SIGINT', 'SIGTERM', 'SIGHUP']);
    const before = DEFAULT_STOP_SIGNALS.map((s) => process.listenerCount(s));
    const stop = stopOnSignals();
    expect(DEFAULT_STOP_SIGNALS.map((s) => process.listenerCount(s))).to.deep.equal(before.map((n) => n + 1));
    stop[Symbol.dispose]();
    expect(DEFAULT_STOP_SIGNALS.map((s) => process.listenerCount(s))).to.deep.equal(before);
  });

  it('aborts at the first signal with an AbortError naming it, runs onStop once, and keeps handling later signals', async () => {
    let stops = 0;
    using stop = stopOnSignals({ signals, onStop: () => stops++ });
    expect(stop.signal.aborted).to.equal(false);
    await raise('SIGUSR2');
    expect(stop.signal.aborted).to.equal(true);
    expect(stop.signal.reason).to.be.instanceOf(DOMException);
    expect((stop.signal.reason as DOMException).name).to.equal('AbortError');
    expect((stop.signal.reason as DOMException).message).to.equal('stopped by SIGUSR2');
    // Still handled: without the handler this second one would end the test run.
    await raise('SIGUSR2');
    expect(process.listenerCount('SIGUSR2')).to.equal(1);
    expect(stops).to.equal(1);
  });

  it('stops with the reason of the signal option, or of abort()', () => {
    const caller = new AbortController();
    using byCaller = stopOnSignals({ signals, signal: caller.signal });
    caller.abort(new Error('caller is done'));
    expect((byCaller.signal.reason as Error).message).to.equal('caller is done');
    using already = stopOnSignals({ signals, signal: AbortSignal.abort('early') });
    expect(already.signal.reason).to.equal('early');
    using byCall = stopOnSignals({ signals });
    byCall.abort();
    expect((byCall.signal.reason as DOMException).name).to.equal('AbortError');
  });

  it("wait() resolves 'elapsed' after its time, 'stopped' at the stop (at once once stopped)", async () => {
    using stop = stopOnSignals({ signals });
    expect(await stop.wait(1)).to.equal('elapsed');
    const forever = stop.wait();
    const long = stop.wait(2 ** 40); // past Node's longest timer: chained, not cut to 1 ms
    const early = await Promise.race([long, new Promise((resolve) => setTimeout(() => resolve('pending'), 30))]);
    expect(early).to.equal('pending');
    await raise('SIGUSR2');
    expect(await forever).to.equal('stopped');
    expect(await long).to.equal('stopped');
    expect(await stop.wait(10_000)).to.equal('stopped');
  });

  it('intervals() yields count times, or up to the stop and once more for it', async () => {
    using counted = stopOnSignals({ signals });
    const ticks: string[] = [];
    for await (const t of counted.intervals(1, 3)) ticks.push(t);
    expect(ticks).to.deep.equal(['elapsed', 'elapsed', 'elapsed']);

    using stopped = stopOnSignals({ signals });
    const seen: string[] = [];
    for await (const t of stopped.intervals(1)) {
      seen.push(t);
      if (seen.length === 2) stopped.abort();
    }
    expect(seen).to.deep.equal(['elapsed', 'elapsed', 'stopped']);

    using once = stopOnSignals({ signals });
    setTimeout(() => once.abort(), 10);
    const onlyAtStop: string[] = [];
    for await (const t of once.intervals(undefined)) onlyAtStop.push(t);
    expect(onlyAtStop).to.deep.equal(['stopped']);
  });
});
