import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BPF_DIR, CLI } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { KILL_OBJ, KILL_SRC, kills } from './run-fixture.js';
import { runCli } from '../helpers/cli.js';
import { bpfObjectsLeft, startExample, type ExampleProcess } from '../helpers/example-process.js';

const READY = /^bpf-ts run: 1 program attached \(on_kill\)/;

/** `bpf-ts run ARGS` as a child process (as users run it). */
function startRun(args: readonly string[], env: NodeJS.ProcessEnv = {}): ExampleProcess {
  return startExample('bpf-ts run', ['run', ...args], { script: CLI, env });
}


/** Targets no process has (above any pid_max: 2^22), unique to this run. */
function targets(base: number, n: number): number[] {
  const salt = (process.pid % 1000) * 16;
  return Array.from({ length: n }, (_, i) => base + salt + i);
}

/** `name=value` fields of one plain record line. */
function fields(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)) out[m[1] as string] = m[2] as string;
  return out;
}

describe('cli: bpf-ts run', function () {
  this.timeout(60_000);
  before(function () {
    requirePrivileges(this);
  });

  it('streams ring buffer records decoded through the BTF struct, with --set knobs applied; SIGINT exits 0 and detaches', async function () {
    const wanted = targets(80_000_000, 4);
    await using run = startRun([KILL_OBJ, '--set', `target_tgid=${process.pid}`, '--set', 'tag=0xfeed', '--set', 'label=runtest', '--set', 'delta=-3', '--set', 'data_offset=1000']);
    await run.waitForLine(READY, { stream: 'stderr', timeoutMs: 20_000 });
    expect(run.stderr[0]).to.equal('bpf-ts run: 1 program attached (on_kill); streaming events as struct kill_event; Ctrl-C to stop');
    const held = run.bpfObjects();
    expect(held.progs).to.have.length(1);
    expect(held.links).to.have.length(1);
    kills(wanted);
    await run.waitForLine((l) => l.includes(`target=${wanted[3]}`));
    const exit = await run.stop('SIGINT');
    expect(exit).to.deep.equal({ code: 0, signal: null });
    // The SIGINT that stopped it is a kill(2) from this process too (target: the child), seen if
    // it arrived before the detach.
    const all = run.stdout.filter((l) => l !== '').map(fields);
    expect(all.filter((r) => r['target'] === String(run.pid)).length).to.be.at.most(1);
    const records = all.filter((r) => r['target'] !== String(run.pid));
    // target_tgid filtered in the kernel: every record is this process's own kill(2).
    expect(records.map((r) => r['tgid'])).to.deep.equal(wanted.map(() => String(process.pid)));
    expect(records.map((r) => Number(r['target']))).to.deep.equal(wanted);
    for (const [i, r] of records.entries()) {
      expect(r['tag']).to.equal(String(0xfeed));
      expect(r['label']).to.equal('runtest');
      expect(Number(r['shifted'])).to.equal((wanted[i] as number) - 3 + 1000);
      expect(r['perf']).to.equal('false');
      expect(r['mode']).to.equal('MODE_RECORD');
    }
    expect(await bpfObjectsLeft(held)).to.deep.equal({ progs: [], maps: [], links: [] });
  });

  it('-j with a perf event array: JSON lines, u64 values as exact JSON numbers; --duration exits 0 and detaches', async function () {
    const wanted = targets(90_000_000, 3);
    await using run = startRun([KILL_OBJ, '-j', '--duration', '3', '--set', `target_tgid=${process.pid}`, '--set', 'use_perf=true', '--set', 'tag=18446744073709551615', '--events', 'perf_events:kill_event']);
    await run.waitForLine(/^bpf-ts run: .*streaming perf_events as struct kill_event; stopping after 3s/, { stream: 'stderr', timeoutMs: 20_000 });
    const held = run.bpfObjects();
    kills(wanted);
    const exit = await run.exited();
    expect(exit).to.deep.equal({ code: 0, signal: null });
    const lines = run.stdout.filter((l) => l !== '');
    expect(lines).to.have.length(3);
    for (const [i, line] of lines.entries()) {
      expect(line).to.contain('"tag":18446744073709551615,');
      const rec = JSON.parse(line) as Record<string, unknown>;
      expect(rec).to.include({ tgid: process.pid, target: wanted[i], perf: true, mode: 'MODE_RECORD', label: 'none', comm: 'node' });
    }
    expect(await bpfObjectsLeft(held)).to.deep.equal({ progs: [], maps: [], links: [] });
  });

  it('--hist prints the log2, linear and per-key histograms of what the test did, after --duration', async function () {
    // 3 targets in [2^26, 2^27) and 5 in [2^28, 2^29): log2 slots 27 and 29.
    const low = targets(1 << 26, 3);
    const high = targets(1 << 28, 5);
    await using run = startRun([KILL_OBJ, '--duration', '3', '--set', `target_tgid=${process.pid}`, '--set', 'mode=MODE_COUNT_ONLY', '--hist', 'hist:usecs', '--hist', 'lin:linear:mod16', '--hist', 'hist_by_sig']);
    await run.waitForLine(READY, { stream: 'stderr', timeoutMs: 20_000 });
    kills([...low, ...high]);
    const exit = await run.exited();
    expect(exit).to.deep.equal({ code: 0, signal: null });
    const text = `${run.stdout.join('\n')}`;
    // MODE_COUNT_ONLY (an enum set by name): no records, only the histograms.
    expect(run.stdout[0]).to.equal('hist:');
    expect(run.stdout[1]).to.equal('     usecs               : count     distribution');
    expect(text).to.contain('\n  67108864 -> 134217727  : 3        |************************                |\n');
    expect(text).to.contain('\n 134217728 -> 268435455  : 0        |                                        |\n');
    expect(text).to.contain('\n 268435456 -> 536870911  : 5        |****************************************|\n');
    // Linear: target % 16 (low and high start at the same salt, so 0..2 get 2 each, 3..4 one).
    const mod = (t: number): number => t % 16;
    const linear = new Array<number>(16).fill(0);
    for (const t of [...low, ...high]) linear[mod(t)]! += 1;
    const linStart = run.stdout.indexOf('lin:');
    expect(run.stdout[linStart + 1]).to.equal('     mod16         : count     distribution');
    const linLines: string[] = [];
    for (const l of run.stdout.slice(linStart + 2)) {
      if (!/^ {8}\d+ +: /.test(l)) break;
      linLines.push(l);
    }
    const printed = linLines.map((l) => /^ {8}(\d+)\s+: (\d+)/.exec(l)!).map((m) => [Number(m[1]), Number(m[2])]);
    const lastNonZero = linear.findLastIndex((c) => c > 0);
    expect(printed).to.deep.equal(linear.slice(0, lastNonZero + 1).map((c, i) => [i, c]));
    // Per-key: one section for signal 0, as bcc prints a struct-keyed histogram.
    expect(text).to.contain('hist_by_sig:\n\nsig = 0\n     value               : count     distribution\n');
  });

  it('-j --hist: one JSON line per histogram with the buckets bcc prints', async function () {
    const wanted = targets(1 << 27, 2);
    await using run = startRun([KILL_OBJ, '-j', '--duration', '2', '--set', `target_tgid=${process.pid}`, '--set', 'mode=1', '--hist', 'hist']);
    await run.waitForLine(READY, { stream: 'stderr', timeoutMs: 20_000 });
    kills(wanted);
    expect(await run.exited()).to.deep.equal({ code: 0, signal: null });
    const lines = run.stdout.filter((l) => l !== '');
    expect(lines).to.have.length(1);
    const hist = JSON.parse(lines[0]!) as { hist: string; kind: string; buckets: { low: number; high: number; count: number }[] };
    expect(hist.hist).to.equal('hist');
    expect(hist.kind).to.equal('log2');
    expect(hist.buckets).to.have.length(28);
    expect(hist.buckets[0]).to.deep.equal({ low: 0, high: 1, count: 0 });
    expect(hist.buckets[27]).to.deep.equal({ low: 134217728, high: 268435455, count: 2 });
  });

  it('compiles a FILE.bpf.c with compile() (cache under $XDG_CACHE_HOME) and runs it', async function () {
    const cache = mkdtempSync(join(tmpdir(), 'bpf-ts-run-cache-'));
    try {
      const wanted = targets(95_000_000, 1);
      await using run = startRun([KILL_SRC, '--set', `target_tgid=${process.pid}`, '--events', 'events:kill_event'], { XDG_CACHE_HOME: cache });
      await run.waitForLine(READY, { stream: 'stderr', timeoutMs: 40_000 });
      kills(wanted);
      await run.waitForLine((l) => l.includes(`target=${wanted[0]}`));
      const held = run.bpfObjects();
      expect(await run.stop('SIGTERM')).to.deep.equal({ code: 0, signal: null });
      expect(run.stdout.filter((l) => l !== '' && !l.includes(`target=${run.pid} `))).to.have.length(1);
      expect(await bpfObjectsLeft(held)).to.deep.equal({ progs: [], maps: [], links: [] });
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('loads but does not attach a program whose section names no target, and says so', async function () {
    const r = await runCli(['run', join(BPF_DIR, 'minimal.bpf.o'), '--duration', '0.2']);
    expect(r).to.deep.equal({
      code: 0,
      out: '',
      err: `bpf-ts run: program 'accept_all' (SEC("socket")) not attached: its section names no attach target\nbpf-ts run: 0 programs attached; stopping after 0.2s or Ctrl-C\n`,
    });
  });

  it('reports bad --set, --events and --hist arguments in one line, exit 255', async function () {
    const cases: [string[], string][] = [
      [['--set', 'nosuch=1'], "Error: --set nosuch=1: the object has no global variable 'nosuch' (variables: data_offset, delta, kill_event_btf_anchor, label, mode, tag, target_tgid, use_perf)\n"],
      [['--set', 'tag=xyz'], "Error: --set tag=xyz: 'xyz' is not an integer (tag is const volatile __u64)\n"],
      [['--set', 'delta=40000'], 'Error: --set delta=40000: 40000 is out of range (-32768..32767) (delta is const volatile __s16)\n'],
      [['--set', 'mode=MODE_NONE'], "Error: --set mode=MODE_NONE: 'MODE_NONE' is neither an enumerator (MODE_RECORD, MODE_COUNT_ONLY) nor a number (mode is const volatile enum kill_mode)\n"],
      [['--set', 'use_perf=maybe'], "Error: --set use_perf=maybe: 'maybe' is not a bool (true, false, 1, 0) (use_perf is const volatile bool)\n"],
      [['--set', 'label=123456789'], "Error: --set label=123456789: '123456789' is 9 bytes; the array holds 8 (label is const volatile char[8])\n"],
      [['--set', 'tag'], 'Error: --set tag: expected NAME=VALUE\n'],
      [['--events', 'nosuch'], "Error: --events nosuch: the object has no map 'nosuch' (maps: calls, events, hist, hist_by_sig, kill_eve.bss, kill_eve.rodata, lin, perf_events)\n"],
      [['--events', 'hist'], 'Error: --events hist: not a ring buffer or perf event array\n'],
      [['--events', 'events:nosuch'], "Error: --events events:nosuch: the object's BTF has no struct 'nosuch'\n"],
      [['--hist', 'nosuch'], "Error: --hist nosuch: the object has no map 'nosuch' (maps: calls, events, hist, hist_by_sig, kill_eve.bss, kill_eve.rodata, lin, perf_events)\n"],
      [['--duration', '0'], 'Error: --duration 0: expected a positive number of seconds\n'],
      [['--bogus'], "Error: run: unknown option '--bogus' (see bpf-ts run help)\n"],
    ];
    for (const [args, err] of cases) {
      const r = await runCli(['run', KILL_OBJ, ...args]);
      expect({ args, code: r.code, err: r.err, out: r.out }).to.deep.equal({ args, code: 255, err, out: '' });
    }
  });
});
