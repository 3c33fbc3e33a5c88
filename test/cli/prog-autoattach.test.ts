/**
 * `bpf-ts prog load|loadall OBJ PATH autoattach`: links pinned under PATH keep the programs
 * attached after the command exits (proved by a counter the test's own getppid() calls raise),
 * programs without an auto-attach target are pinned instead (bpftool's fallback note), and
 * removing the pins detaches and frees them.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { BpfMap } from '../../src/maps/index.js';
import { bpfFdKind, getLinkInfo, MapType, objGet } from '../../src/sys/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { callGetppid, CLI_OBJ, hitsOf, run, waitFreed } from './attach-fixture.js';
import { bpffsTempDir } from '../helpers/bpffs.js';

describe('bpf-ts prog loadall ... autoattach', function () {
  this.timeout(60_000);
  let root = '';
  before(function () {
    requirePrivileges(this);
  });
  beforeEach(function () {
    root = bpffsTempDir('bpfts-autoattach-');
  });
  afterEach(function () {
    if (root !== '') rmSync(root, { recursive: true, force: true });
  });

  it('pins the tracepoint link and the other programs; the link fires after the command exited; removing pins detaches', async function () {
    const progs = join(root, 'progs');
    const maps = join(root, 'maps');
    const r = run('bpf-ts', ['prog', 'loadall', CLI_OBJ, progs, 'autoattach', 'pinmaps', maps]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('');
    // bpftool's note for each program it pins instead of attaching (xdp, tc, syscall).
    for (const name of ['xdp_rewrite', 'tc_mark', 'say', 'dissect']) {
      expect(r.stderr).to.contain(`Program ${name} does not support autoattach, falling back to pinning\n`);
    }
    expect(r.stderr).not.to.contain('count_getppid');
    expect(readdirSync(progs).sort()).to.deep.equal(['count_getppid', 'dissect', 'say', 'tc_mark', 'xdp_rewrite']);

    let progId: number;
    {
      using link = objGet(join(progs, 'count_getppid'));
      expect(bpfFdKind(link)).to.equal('link');
      progId = getLinkInfo(link).progId;
      using xdp = objGet(join(progs, 'xdp_rewrite'));
      expect(bpfFdKind(xdp)).to.equal('prog');
    }

    const before = hitsOf(join(maps, 'hits'), process.pid);
    callGetppid(25);
    expect(hitsOf(join(maps, 'hits'), process.pid) - before).to.equal(25n);

    // The counter is also what `map dump` shows for our pid (key is the pid, little-endian).
    const dump = run('bpf-ts', ['-j', 'map', 'dump', 'pinned', join(maps, 'hits')]);
    expect(dump.status, dump.stderr).to.equal(0);
    const entries = JSON.parse(dump.stdout) as Array<{ key: string[]; value: string[] }>;
    const pidKey = [0, 8, 16, 24].map((s) => `0x${((process.pid >> s) & 0xff).toString(16).padStart(2, '0')}`);
    expect(entries.some((e) => e.key.join(' ') === pidKey.join(' '))).to.equal(true);

    rmSync(progs, { recursive: true });
    expect(await waitFreed('prog', progId)).to.equal(true);
    const after = hitsOf(join(maps, 'hits'), process.pid);
    callGetppid(10);
    expect(hitsOf(join(maps, 'hits'), process.pid)).to.equal(after);
  });

  it('prog load ... autoattach pins the first program\'s link at PATH', async function () {
    const path = join(root, 'first');
    const r = run('bpf-ts', ['prog', 'load', CLI_OBJ, path, 'autoattach']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.equal('');
    using link = objGet(path);
    expect(bpfFdKind(link)).to.equal('link');
    const progId = getLinkInfo(link).progId;
    link.close();
    rmSync(path);
    expect(await waitFreed('prog', progId)).to.equal(true);
  });

  it('iterators: the pinned iter link reads as the iterator output (our process is listed)', function () {
    const progs = join(root, 'counters');
    const r = run('bpf-ts', ['prog', 'loadall', join(CLI_OBJ, '..', '..', 'links', 'counters.bpf.o'), progs, 'autoattach']);
    expect(r.status, r.stderr).to.equal(0);
    using link = objGet(join(progs, 'dump_task'));
    expect(bpfFdKind(link)).to.equal('link');
    // bpf/links/counters.bpf.c's dump_task prints "<tgid> <comm>" per process.
    expect(readFileSync(join(progs, 'dump_task'), 'utf8')).to.match(new RegExp(`^${process.pid} \\S+$`, 'm'));
  });

  it('-j: null on stdout and no fallback notes', function () {
    const progs = join(root, 'progs');
    const r = run('bpf-ts', ['-j', 'prog', 'loadall', CLI_OBJ, progs, 'autoattach']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('null\n');
    expect(r.stderr).to.equal('');
    expect(existsSync(join(progs, 'count_getppid'))).to.equal(true);
  });

  it('a pin that fails half-way removes the links pinned before it: their programs no longer run', function () {
    const progs = join(root, 'progs');
    mkdirSync(progs);
    // Something already pinned where the third program (tc_mark) goes: BPF_OBJ_PIN gets EEXIST.
    {
      using squatter = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
      squatter.pin(join(progs, 'tc_mark'));
    }
    // Our own `hits` (bpftool's `map name hits MAP`), so what the failed run attached can be watched.
    const hits = join(root, 'hits');
    {
      using m = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 256, name: 'hits' });
      m.pin(hits);
    }
    const r = run('bpf-ts', ['prog', 'loadall', CLI_OBJ, progs, 'autoattach', 'map', 'name', 'hits', 'pinned', hits]);
    expect(r.status).to.equal(255);
    expect(r.stderr).to.match(/Error: failed to pin all programs: [^\n]+\n$/);
    expect(readdirSync(progs)).to.deep.equal(['tc_mark']);
    callGetppid(5);
    expect(hitsOf(hits, process.pid)).to.equal(0n);
  });

  it('the same map replacement with a successful run counts into the given map', function () {
    const hits = join(root, 'hits');
    {
      using m = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 256, name: 'hits' });
      m.pin(hits);
    }
    const r = run('bpf-ts', ['prog', 'loadall', CLI_OBJ, join(root, 'progs'), 'autoattach', 'map', 'name', 'hits', 'pinned', hits]);
    expect(r.status, r.stderr).to.equal(0);
    callGetppid(5);
    expect(hitsOf(hits, process.pid)).to.equal(5n);
  });
});
