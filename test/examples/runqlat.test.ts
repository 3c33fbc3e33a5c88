import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { expect } from 'chai';
import { requirePrivileges } from '../helpers/privileges.js';
import { bpfObjectsLeft, startExample } from '../helpers/example-process.js';

const BANNER = 'Tracing run queue latency... Hit Ctrl-C to end.';
const NONE = { progs: [], maps: [], links: [] };
const WAKEUPS = 200;
/**
 * What the histograms must count at least: a 1 ms timer that has already expired when the event
 * loop checks does not sleep, so not every tick is a wakeup; an idle node process has a handful.
 */
const MIN_COUNTED = WAKEUPS / 2;

/**
 * A node process that, once sent a line, sleeps `WAKEUPS` times for a millisecond (each sleep
 * ends with a wakeup and a wait on the run queue), says `done`, and exits when its stdin closes.
 */
function startSleeper(): { child: ChildProcess; done: Promise<void> } {
  const script = `process.stdin.once('data', () => { let n = 0; const tick = () => { if (++n < ${WAKEUPS}) setTimeout(tick, 1); else console.log('done'); }; tick(); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const done = new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (s: string) => s.includes('done') && resolve());
    child.on('exit', (code) => reject(new Error(`sleeper exited early (${code})`)));
  });
  return { child, done };
}

/** The per-key sections of runqlat's output: key -> total count of its buckets. */
function sectionTotals(lines: readonly string[], header: 'pid' | 'tid'): Map<number, number> {
  const totals = new Map<number, number>();
  let key: number | undefined;
  for (const line of lines) {
    const section = new RegExp(`^${header} = (\\d+)$`).exec(line);
    if (section !== null) {
      key = Number(section[1]);
      continue;
    }
    const bucket = /^ +\d+ -> \d+ +: (\d+) +\|[* ]*\|$/.exec(line);
    if (bucket !== null && key !== undefined) totals.set(key, (totals.get(key) ?? 0) + Number(bucket[1]));
  }
  return totals;
}

describe('examples: runqlat', function () {
  this.timeout(20000);

  before(function () {
    requirePrivileges(this);
  });

  it('-P -p PID: one histogram section, for the process the test woke up, counting its wakeups', async () => {
    const sleeper = startSleeper();
    try {
      const pid = sleeper.child.pid!;
      await using tool = startExample('runqlat', ['-P', '-p', String(pid), '1']);
      await tool.waitForLine((l) => l === BANNER);
      const held = tool.bpfObjects();
      // sched_wakeup, sched_wakeup_new, sched_switch
      expect(held.progs).to.have.length(3);
      expect(held.links).to.have.length(3);
      sleeper.child.stdin!.write('go\n');
      await sleeper.done;
      expect(await tool.stop('SIGINT'), tool.transcript()).to.deep.equal({ code: 0, signal: null });

      expect(tool.stdout.filter((l) => /^\w+ = /.test(l)).every((l) => l === `pid = ${pid}`), tool.transcript()).to.equal(true);
      const totals = sectionTotals(tool.stdout, 'pid');
      expect([...totals.keys()]).to.deep.equal([pid]);
      expect(totals.get(pid)).to.be.at.least(MIN_COUNTED);
      expect(tool.stdout).to.include('     usecs               : count     distribution');
      expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
    } finally {
      sleeper.child.kill('SIGKILL');
    }
  });

  it('-L -p PID: sections by thread, the sleeping main thread among them', async () => {
    const sleeper = startSleeper();
    try {
      const pid = sleeper.child.pid!;
      await using tool = startExample('runqlat', ['-L', '-p', String(pid)]);
      await tool.waitForLine((l) => l === BANNER);
      const held = tool.bpfObjects();
      sleeper.child.stdin!.write('go\n');
      await sleeper.done;
      const threads = readdirSync(`/proc/${pid}/task`).map(Number);
      expect(await tool.stop('SIGTERM'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
      const totals = sectionTotals(tool.stdout, 'tid');
      expect(totals.get(pid), tool.transcript()).to.be.at.least(MIN_COUNTED);
      expect([...totals.keys()].filter((tid) => !threads.includes(tid))).to.deep.equal([]);
      expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
    } finally {
      sleeper.child.kill('SIGKILL');
    }
  });

  it('interval and count: -mT 1 2 prints two timestamped millisecond histograms and exits by itself', async () => {
    await using tool = startExample('runqlat', ['-mT', '1', '2']);
    await tool.waitForLine((l) => l === BANNER);
    const held = tool.bpfObjects();
    expect(await tool.exited(), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(tool.stdout.filter((l) => /^\d\d:\d\d:\d\d$/.test(l))).to.have.length(2);
    // The machine schedules something every second: both intervals have a histogram.
    expect(tool.stdout.filter((l) => l === '     msecs               : count     distribution')).to.have.length(2);
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('refuses -P with -L', async () => {
    await using bad = startExample('runqlat', ['-P', '-L']);
    expect(await bad.exited()).to.deep.equal({ code: 2, signal: null });
    expect(bad.stderr[0]).to.equal('runqlat: -P and -L cannot be used together');
  });
});
