import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfMap } from '../../src/index.js';
import { objGet, readFdInfo } from '../../src/sys/index.js';
import { CLI } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { KILL_OBJ, kills } from './run-fixture.js';
import { runCli } from '../helpers/cli.js';
import { bpfObjectsLeft, startExample, type BpfObjectIds } from '../helpers/example-process.js';
import { bpffsTempDir } from '../helpers/bpffs.js';



/** slot 0 of the pinned `calls` counter. */
function calls(dir: string): bigint {
  using map = BpfMap.fromPin(join(dir, 'maps', 'calls'));
  const v = map.lookup(new Uint8Array(4))!;
  return new DataView(v.buffer, v.byteOffset, v.byteLength).getBigUint64(0, true);
}

/** The id of the object pinned at `path` (`prog_id`, `map_id` or `link_id` from fdinfo). */
function pinnedId(path: string, field: 'prog_id' | 'map_id' | 'link_id'): number {
  const fd = objGet(path);
  try {
    return Number(readFdInfo(fd).get(field));
  } finally {
    fd.close();
  }
}

/** Ids of the programs, maps and links pinned anywhere under `dir`. */
function bpfObjectsPinnedUnder(dir: string): BpfObjectIds {
  const ids: { progs: number[]; maps: number[]; links: number[] } = { progs: [], maps: [], links: [] };
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isDirectory()) continue;
    const fd = objGet(join(entry.parentPath, entry.name));
    try {
      const info = readFdInfo(fd);
      const link = info.get('link_id');
      const map = info.get('map_id');
      const prog = info.get('prog_id');
      if (link !== undefined) ids.links.push(Number(link));
      else if (map !== undefined) ids.maps.push(Number(map));
      else if (prog !== undefined) ids.progs.push(Number(prog));
    } finally {
      fd.close();
    }
  }
  return ids;
}

describe('cli: bpf-ts load OBJ PINDIR / unload PINDIR', function () {
  this.timeout(60_000);
  const dir = `/sys/fs/bpf/bpf_ts_load_test_${process.pid}`;

  before(function () {
    requirePrivileges(this);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the program attached after the command exits; unload detaches it and removes only its pins', async function () {
    const r = spawnSync(process.execPath, [CLI, 'load', KILL_OBJ, dir, '--set', `target_tgid=${process.pid}`], { encoding: 'utf8' });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).to.deep.equal({
      status: 0,
      stdout: '',
      stderr: `bpf-ts load: 1 link pinned under ${dir}; 'bpf-ts unload ${dir}' detaches\n`,
    });
    expect(readdirSync(dir).sort()).to.deep.equal(['bpf_ts_load', 'maps', 'on_kill']);
    expect(readdirSync(join(dir, 'maps')).sort()).to.deep.equal(['calls', 'events', 'hist', 'hist_by_sig', 'kill_eve_bss', 'kill_eve_rodata', 'lin', 'perf_events']);
    const linkId = pinnedId(join(dir, 'on_kill'), 'link_id');
    const progId = pinnedId(join(dir, 'on_kill'), 'prog_id');
    const mapIds = readdirSync(join(dir, 'maps')).map((m) => pinnedId(join(dir, 'maps', m), 'map_id'));

    // The loading process is gone; the program still counts this process's kill(2) calls.
    const before = calls(dir);
    kills([91_000_001, 91_000_002, 91_000_003]);
    expect(calls(dir) - before).to.equal(3n);

    // Something of the user's own in PINDIR: unload must leave it.
    mkdirSync(join(dir, 'mine'));
    const u = await runCli(['unload', dir]);
    expect(u).to.deep.equal({ code: 0, out: '', err: '' });
    expect(readdirSync(dir)).to.deep.equal(['mine']);
    expect(await bpfObjectsLeft({ progs: [progId], maps: mapIds, links: [linkId] })).to.deep.equal({ progs: [], maps: [], links: [] });
  });

  it('unload leaves a pin that was replaced meanwhile, and exits 1', async function () {
    const loaded = await runCli(['load', KILL_OBJ, dir, '-j']);
    expect(loaded.code).to.equal(0);
    const report = JSON.parse(loaded.out) as { pindir: string; pins: { path: string; kind: string; id: number }[] };
    expect(report.pindir).to.equal(dir);
    expect(report.pins.map((p) => `${p.kind} ${p.path}`).sort()).to.deep.equal([
      'link on_kill',
      'map maps/calls',
      'map maps/events',
      'map maps/hist',
      'map maps/hist_by_sig',
      'map maps/kill_eve_bss',
      'map maps/kill_eve_rodata',
      'map maps/lin',
      'map maps/perf_events',
    ]);
    expect(report.pins.find((p) => p.path === 'maps/calls')!.id).to.equal(pinnedId(join(dir, 'maps', 'calls'), 'map_id'));
    // Replace maps/calls by another map at the same path.
    using other = BpfMap.fromPin(join(dir, 'maps', 'hist'));
    rmSync(join(dir, 'maps', 'calls'));
    other.pin(join(dir, 'maps', 'calls'));
    const u = await runCli(['unload', dir]);
    expect(u.code).to.equal(1);
    expect(u.err).to.match(new RegExp(`^bpf-ts unload: ${dir}/maps/calls no longer holds map \\d+; left in place\\n$`));
    expect(readdirSync(dir)).to.deep.equal(['maps']);
    expect(readdirSync(join(dir, 'maps'))).to.deep.equal(['calls']);
  });

  it('refuses a PINDIR that is not empty or not on bpffs, and unload of a directory load did not make', async function () {
    mkdirSync(dir);
    mkdirSync(join(dir, 'x'));
    expect(await runCli(['load', KILL_OBJ, dir])).to.deep.equal({ code: 255, out: '', err: `Error: ${dir} is not empty\n` });
    expect(await runCli(['unload', dir])).to.deep.equal({
      code: 255,
      out: '',
      err: `Error: ${dir}: no bpf_ts_load manifest here; not a directory made by 'bpf-ts load OBJ PINDIR'\n`,
    });
    expect(existsSync(join(dir, 'x'))).to.equal(true);
    const notBpffs = mkdtempSync(join(tmpdir(), 'bpf-ts-load-'));
    try {
      expect(await runCli(['load', KILL_OBJ, join(notBpffs, 'pins')])).to.deep.equal({
        code: 255,
        out: '',
        err: `Error: ${join(notBpffs, 'pins')} is not on a BPF file system (bpffs); use a directory under /sys/fs/bpf\n`,
      });
      expect(readdirSync(notBpffs)).to.deep.equal([]);
    } finally {
      rmSync(notBpffs, { recursive: true, force: true });
    }
    expect(await runCli(['load', KILL_OBJ, '/sys/fs/bpf'])).to.deep.equal({
      code: 255,
      out: '',
      err: 'Error: /sys/fs/bpf: PINDIR must be a directory under /sys/fs/bpf, not the mount itself\n',
    });
    expect(await runCli(['load', KILL_OBJ, dir, '--duration', '1'])).to.deep.equal({
      code: 255,
      out: '',
      err: 'Error: load OBJ PINDIR: --events, --hist and --duration apply only without PINDIR (use bpf-ts run)\n',
    });
  });

  it('killed halfway (SIGKILL while it pins) leaves no PINDIR; the next load into the same parent removes the staging pins and what they held', async function () {
    const parent = bpffsTempDir('bpfts-load-kill-');
    try {
      const target = join(parent, 'tool');
      // Kill as soon as the first pin (the link) is in the staging directory. The maps, the
      // manifest and the rename follow within milliseconds, so a kill can still come too late:
      // then PINDIR must be complete, and the test tries again.
      let pinned: BpfObjectIds | undefined;
      let staging = '';
      for (let attempt = 0; attempt < 5 && pinned === undefined; attempt++) {
        const child = spawn(process.execPath, [CLI, 'load', KILL_OBJ, target], { stdio: 'ignore' });
        const exited = new Promise<NodeJS.Signals | number | null>((done) => child.once('exit', (code, signal) => done(signal ?? code)));
        staging = `bpf_ts_loading_${child.pid}_tool`;
        const firstPin = join(parent, staging, 'on_kill');
        const deadline = Date.now() + 20_000;
        while (!existsSync(firstPin) && !existsSync(target) && Date.now() < deadline) { /* poll */ }
        child.kill('SIGKILL');
        if ((await exited) === 'SIGKILL' && !existsSync(target)) {
          expect(readdirSync(parent)).to.deep.equal([staging]);
          pinned = bpfObjectsPinnedUnder(join(parent, staging));
        } else {
          expect(readdirSync(target)).to.include('bpf_ts_load');
          expect(readdirSync(parent)).to.deep.equal(['tool']);
          expect((await runCli(['unload', target])).code).to.equal(0);
          rmSync(target, { recursive: true, force: true });
        }
      }
      if (pinned === undefined) throw new Error('five loads finished before SIGKILL reached them');
      expect(pinned.links.length).to.equal(1);

      // A later load into the same parent sweeps the dead process's staging directory.
      expect((await runCli(['load', KILL_OBJ, join(parent, 'other')])).code).to.equal(0);
      expect(readdirSync(parent)).to.deep.equal(['other']);
      expect(await runCli(['unload', join(parent, 'other')])).to.deep.equal({ code: 0, out: '', err: '' });
      expect(await bpfObjectsLeft(pinned)).to.deep.equal({ progs: [], maps: [], links: [] });
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('without PINDIR behaves as run: streams until stopped, exits 0, leaves nothing', async function () {
    await using run = startExample('bpf-ts load', ['load', KILL_OBJ, '--set', `target_tgid=${process.pid}`], { script: CLI });
    await run.waitForLine(/^bpf-ts run: 1 program attached \(on_kill\)/, { stream: 'stderr', timeoutMs: 20_000 });
    const held = run.bpfObjects();
    kills([92_000_001]);
    await run.waitForLine((l) => l.includes('target=92000001'));
    expect(await run.stop('SIGINT')).to.deep.equal({ code: 0, signal: null });
    expect(await bpfObjectsLeft(held)).to.deep.equal({ progs: [], maps: [], links: [] });
  });
});
