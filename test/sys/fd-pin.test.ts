import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, openSync, closeSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BpffsError,
  bpffsMounts,
  bpfFdKind,
  btfGetFdById,
  ensureBpffs,
  FdClosedError,
  getMapInfo,
  getProgInfo,
  isBpffs,
  mapGetFdById,
  native,
  objGet,
  objPin,
  OwnedFd,
  pinnedPaths,
  progGetFdById,
  SysError,
} from '../../src/sys/index.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { BPFTOOL, openFdCount, rawTracepointOpen, ShowFixture } from './show-fixture.js';
import { bpffsTempDir } from '../helpers/bpffs.js';

describe('sys/fd + sys/pin: owned fds, pins and bpffs (kernel)', function () {
  let fx: ShowFixture;

  before(function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
    fx = ShowFixture.load('sysfd');
  });
  after(() => fx?.remove());

  it('closes once, refuses use after close, and closes on dispose', () => {
    const before = openFdCount();
    const fd = progGetFdById(fx.progId('show_xdp'));
    expect(openFdCount()).to.equal(before + 1);
    fd.close();
    fd.close();
    expect(fd.closed).to.equal(true);
    expect(openFdCount()).to.equal(before);
    expect(() => fd.fd).to.throw(FdClosedError, `prog ${fx.progId('show_xdp')}: file descriptor already closed`);
    {
      using scoped = mapGetFdById(fx.mapId('show_counts'));
      expect(openFdCount()).to.equal(before + 1);
      expect(getMapInfo(scoped).name).to.equal('show_counts');
    }
    expect(openFdCount()).to.equal(before);
  });

  it('closes an fd whose OwnedFd was dropped without close(), once collected', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfts-gc-'));
    try {
      writeFileSync(
        join(dir, 'gc.mjs'),
        `import { existsSync } from 'node:fs';
const m = await import('${join(REPO_ROOT, 'dist/src/sys/index.js')}');
const open = () => m.btfGetFdById(1).fd;
const n = open();
const before = existsSync('/proc/self/fd/' + n);
for (let i = 0; i < 20 && existsSync('/proc/self/fd/' + n); i++) {
  globalThis.gc();
  await new Promise((r) => setTimeout(r, 10));
}
console.log(before, existsSync('/proc/self/fd/' + n));
`,
      );
      const out = execFileSync(process.execPath, ['--expose-gc', join(dir, 'gc.mjs')], { encoding: 'utf8' });
      expect(out.trim()).to.equal('true false');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('dups to an independent fd of the same object and releases ownership on request', () => {
    const before = openFdCount();
    const fd = progGetFdById(fx.progId('show_xdp'));
    const copy = fd.dup();
    expect(copy.fd).to.not.equal(fd.fd);
    fd.close();
    expect(getProgInfo(copy).id).to.equal(fx.progId('show_xdp'));
    const raw = copy.release();
    expect(copy.closed).to.equal(true);
    expect(openFdCount()).to.equal(before + 1);
    native().close(raw);
    expect(openFdCount()).to.equal(before);
    expect(() => new OwnedFd(-1)).to.throw(RangeError, 'invalid file descriptor -1');
  });

  it('tells program, map, link and BTF fds apart', () => {
    using prog = progGetFdById(fx.progId('show_raw_tp'));
    using map = mapGetFdById(fx.mapId('show_counts'));
    using btf = btfGetFdById(1);
    using link = rawTracepointOpen(prog, 'sys_enter');
    expect([bpfFdKind(prog), bpfFdKind(map), bpfFdKind(btf), bpfFdKind(link)]).to.deep.equal(['prog', 'map', 'btf', 'link']);
    const file = openSync(join(REPO_ROOT, 'package.json'), 'r');
    try {
      expect(bpfFdKind(file)).to.equal('unknown');
    } finally {
      closeSync(file);
    }
  });

  it('pins and reopens an object, and finds every pinned path by id', () => {
    using map = mapGetFdById(fx.mapId('show_config'));
    const path = join(fx.dir, 'extra_pin');
    objPin(map, path);
    using again = objGet(path);
    expect(getMapInfo(again).id).to.equal(fx.mapId('show_config'));
    const pathsOf = (kind: 'prog' | 'map', id: number): string[] => pinnedPaths(kind).filter((p) => p.id === id).map((p) => p.path);
    expect(pathsOf('map', fx.mapId('show_config'))).to.have.members([path, fx.path('maps/show_config')]);
    expect(pathsOf('prog', fx.progId('show_xdp'))).to.deep.equal([fx.path('show_xdp')]);
    expect(pinnedPaths('link').some((p) => p.path.startsWith(fx.dir))).to.equal(false);
    expect(bpffsMounts()).to.include('/sys/fs/bpf');
    expect(isBpffs(fx.dir)).to.equal(true);
    expect(isBpffs(tmpdir())).to.equal(false);
  });

  it('reports a missing pin as ENOENT and a non-bpffs path with the bpffs hint', () => {
    expect(() => objGet(join(fx.dir, 'nope'))).to.throw(SysError, `BPF_OBJ_GET ${join(fx.dir, 'nope')} failed (ENOENT)`);
    const dir = mkdtempSync(join(tmpdir(), 'bpfts-notbpffs-'));
    try {
      writeFileSync(join(dir, 'f'), 'x');
      try {
        objGet(join(dir, 'f'));
        expect.fail('expected SysError');
      } catch (e) {
        expect(e).to.be.instanceOf(SysError);
        expect((e as SysError).code).to.equal('EACCES');
        expect((e as SysError).message).to.equal(`BPF_OBJ_GET ${join(dir, 'f')} failed (EACCES): directory not in bpf file system (bpffs)`);
      }
      using map = mapGetFdById(fx.mapId('show_config'));
      expect(() => objPin(map, join(dir, 'pin'), { mount: false })).to.throw(BpffsError, `${dir} is not on a BPF file system: mount one with 'mount -t bpf bpf ${dir}'`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mounts a bpffs where there is none, as bpftool does, when root', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfts-mnt-'));
    try {
      expect(isBpffs(dir)).to.equal(false);
      ensureBpffs(dir);
      expect(isBpffs(dir)).to.equal(true);
      expect(bpffsMounts()).to.include(dir);
      ensureBpffs(dir); // already mounted: nothing to do
      using map = mapGetFdById(fx.mapId('show_config'));
      objPin(map, join(dir, 'm'));
      using back = objGet(join(dir, 'm'));
      expect(getMapInfo(back).id).to.equal(fx.mapId('show_config'));
    } finally {
      // Two mounts: the bpffs on top of the private bind mount of the directory onto itself.
      for (let i = 0; i < 2 && readMountsOf(dir).length > 0; i++) {
        try {
          native().umount(dir, 0);
        } catch {
          break;
        }
      }
      if (existsSync(dir)) rmdirSync(dir);
    }
    expect(readMountsOf(dir)).to.deep.equal([]);
  });

  it('creates a missing directory inside a bpffs instead of mounting a second bpffs over it', () => {
    const root = bpffsTempDir('bpfts-nested-');
    const dir = join(root, 'a', 'b');
    try {
      const before = bpffsMounts();
      ensureBpffs(dir);
      expect(isBpffs(dir)).to.equal(true);
      expect(existsSync(dir)).to.equal(true);
      expect(bpffsMounts(), 'no new mount').to.deep.equal(before);
      using map = mapGetFdById(fx.mapId('show_config'));
      objPin(map, join(root, 'c', 'm')); // objPin goes through the same path for its directory
      expect(bpffsMounts(), 'no new mount from objPin').to.deep.equal(before);
      using back = objGet(join(root, 'c', 'm'));
      expect(getMapInfo(back).id).to.equal(fx.mapId('show_config'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('says which step failed when it cannot mount a bpffs as root', () => {
    const dir = '/proc/bpfts-cannot-exist';
    try {
      ensureBpffs(dir);
      expect.fail('expected BpffsError');
    } catch (e) {
      expect(e).to.be.instanceOf(BpffsError);
      expect((e as BpffsError).path).to.equal(dir);
      expect((e as BpffsError).message).to.match(
        new RegExp(`^no BPF file system at ${dir}, and 'mkdir -p ${dir}' failed \\(.+\\): mount it with 'mount -t bpf bpf ${dir}' as root$`),
      );
    }
  });

  it('refuses to mount a bpffs without root and says what to run', function () {
    const script = join(mkdtempSync(join(tmpdir(), 'bpfts-nonroot-')), 'x.mjs');
    chmodSync(join(script, '..'), 0o755);
    try {
      writeFileSync(
        script,
        `import('${join(REPO_ROOT, 'dist/src/sys/index.js')}').then((m) => { try { m.ensureBpffs('/tmp/bpfts-never-mounted'); console.log('mounted?'); } catch (e) { console.log(e.constructor.name + ': ' + e.message); } });`,
      );
      const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, script], { encoding: 'utf8' });
      expect(out.trim()).to.equal(
        "BpffsError: no BPF file system at /tmp/bpfts-never-mounted, and mounting one needs root: mount it with 'mount -t bpf bpf /tmp/bpfts-never-mounted' as root",
      );
    } finally {
      rmSync(join(script, '..'), { recursive: true, force: true });
    }
  });
});

function readMountsOf(dir: string): string[] {
  return execFileSync('cat', ['/proc/mounts'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.split(' ')[1] === dir);
}
