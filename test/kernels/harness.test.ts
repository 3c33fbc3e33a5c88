/**
 * The kernel-matrix harness's own pieces, on the host and without privileges: the vmlinux
 * extractor, the initramfs writer and the report's exit codes. (Booting a kernel is what
 * `npm run test:kernels` does; these keep its building blocks honest between such runs.)
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { requireTool } from '../helpers/privileges.js';

const KERNELS = join(REPO_ROOT, 'scripts', 'kernels');

/** A stand-in for an uncompressed vmlinux: ELF magic and some bytes that compress well. */
function fakeElf(): Buffer {
  const b = Buffer.alloc(64 * 1024);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  for (let i = 64; i < b.length; i++) b[i] = (i * 7) & 0xff;
  return b;
}

describe('kernels harness (host, no VM)', function () {
  let dir: string;
  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'bpfts-kernels-'));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [name, tool, args] of [
    ['xz', '/usr/bin/xz', ['-c']],
    ['zstd', '/usr/bin/zstd', ['-c', '-q']],
    ['gzip', '/usr/bin/gzip', ['-c']],
  ] as const) {
    it(`extract-vmlinux finds a ${name} payload after a decoy magic and ignores the trailer`, function () {
      requireTool(this, tool);
      const elf = fakeElf();
      const compressed = execFileSync(tool, [...args], { input: elf });
      // A bzImage-like file: setup code containing a false magic, the payload, then trailing bytes.
      const decoy = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x1f, 0x8b, 0x08, 1, 2, 3]);
      const image = Buffer.concat([Buffer.alloc(1000, 0x90), decoy, Buffer.alloc(100, 0xcc), compressed, Buffer.alloc(300, 0xee)]);
      writeFileSync(join(dir, 'vmlinuz'), image);
      const r = spawnSync('bash', [join(KERNELS, 'extract-vmlinux.sh'), join(dir, 'vmlinuz'), join(dir, 'vmlinux')], { encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stderr).to.include(`${name} payload`);
      expect(readFileSync(join(dir, 'vmlinux')).equals(elf)).to.equal(true);
    });
  }

  it('extract-vmlinux says what it tried when there is no kernel inside', function () {
    writeFileSync(join(dir, 'vmlinuz'), Buffer.alloc(4096, 0x41));
    const r = spawnSync('bash', [join(KERNELS, 'extract-vmlinux.sh'), join(dir, 'vmlinuz'), join(dir, 'vmlinux')], { encoding: 'utf8' });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/no compressed ELF kernel found in .*tried zstd, xz, gzip/);
  });

  it('mkinitramfs writes a newc archive that busybox cpio lists, with a device node and no mknod', function () {
    requireTool(this, '/bin/busybox');
    writeFileSync(join(dir, 'hello'), 'hello\n');
    writeFileSync(
      join(dir, 'list'),
      ['# comment', 'dir /dev 755', 'nod /dev/console 600 c 5 1', 'dir /bin 755', `file /bin/hello ${join(dir, 'hello')} 755`, 'slink /bin/sh busybox 777', ''].join('\n'),
    );
    execFileSync('node', [join(KERNELS, 'mkinitramfs.mjs'), join(dir, 'list'), join(dir, 'out.cpio')]);
    const cpio = readFileSync(join(dir, 'out.cpio'));
    expect(cpio.length % 512).to.equal(0);
    const listing = execFileSync('/bin/busybox', ['cpio', '-t', '-v'], { input: cpio, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
    const lines = listing.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).slice(-1)[0] ?? l)).to.include.members(['dev', 'dev/console', 'bin', 'bin/hello', 'busybox']);
    expect(lines.find((l) => l.includes('dev/console'))).to.match(/^crw-------/);
    expect(lines.find((l) => l.includes('bin/sh'))).to.match(/^lrwxrwxrwx .*bin\/sh -> busybox/);
    // Extract and compare the regular file's content.
    mkdirSync(join(dir, 'x'));
    execFileSync('/bin/busybox', ['cpio', '-i', '-d', 'bin/hello'], { input: cpio, cwd: join(dir, 'x'), stdio: ['pipe', 'pipe', 'ignore'] });
    expect(readFileSync(join(dir, 'x', 'bin', 'hello'), 'utf8')).to.equal('hello\n');
  });

  it('mkinitramfs rejects an unknown entry with its line number', function () {
    writeFileSync(join(dir, 'list'), 'dir /a 755\nfifo /b 644\n');
    const r = spawnSync('node', [join(KERNELS, 'mkinitramfs.mjs'), join(dir, 'list'), join(dir, 'out.cpio')], { encoding: 'utf8' });
    expect(r.status).to.not.equal(0);
    expect(r.stderr).to.include("list:2: unknown entry type 'fifo'");
  });

  describe('report.mjs', function () {
    function run(vms: Array<{ k: string; code: string; results: Array<{ title: string; state: string; error?: string }> }>) {
      const rows = vms.map((v) => [v.k, `${v.k}.0-test`, v.code, '', '12.3', '4.5', '6.0', '7.5', '60.0', v.code === 'noresult' ? 'timed out after 10s' : ''].join('\t'));
      writeFileSync(join(dir, 'summary.tsv'), rows.join('\n') + '\n');
      for (const v of vms) {
        mkdirSync(join(dir, v.k, 'out'), { recursive: true });
        const lines = v.results.map((r) => JSON.stringify({ kernel: v.k, type: 'test', file: 'dist/test/x.test.js', ...r }));
        // A line cut short by a crash is ignored.
        writeFileSync(join(dir, v.k, 'out', 'results.jsonl'), lines.join('\n') + '\n{"kernel":');
      }
      return spawnSync('node', [join(KERNELS, 'report.mjs'), dir, ...vms.map((v) => v.k)], { encoding: 'utf8' });
    }

    it('passes when every VM ran and every test passed or skipped', function () {
      const r = run([
        { k: '6.1', code: '0', results: [{ title: 'a', state: 'passed' }, { title: 'b', state: 'skipped' }] },
        { k: '6.12', code: '0', results: [{ title: 'a', state: 'passed' }, { title: 'b', state: 'passed' }] },
      ]);
      expect(r.status, r.stdout).to.equal(0);
      expect(r.stdout).to.include('kernel matrix: PASSED');
      expect(r.stdout).to.include('6.1:skip 6.12:pass  dist/test/x.test.js :: b');
      expect(readFileSync(join(dir, 'matrix.md'), 'utf8')).to.include('| dist/test/x.test.js :: a | pass | pass |');
    });

    it('fails with 1 on a failed test and names it with its error, per kernel', function () {
      const r = run([
        { k: '6.1', code: '1', results: [{ title: 'a', state: 'failed', error: 'expected 0 to be at least 5\nstack' }] },
        { k: '6.12', code: '0', results: [{ title: 'a', state: 'passed' }] },
      ]);
      expect(r.status).to.equal(1);
      expect(r.stdout).to.include('6.1   FAILED (exit 1)');
      expect(r.stdout).to.include('[6.1] expected 0 to be at least 5');
    });

    it('fails with 2 when a VM gave no result, even if the others passed', function () {
      const r = run([
        { k: '6.1', code: 'noresult', results: [{ title: 'a', state: 'passed' }] },
        { k: '6.12', code: '0', results: [{ title: 'a', state: 'passed' }] },
      ]);
      expect(r.status).to.equal(2);
      expect(r.stdout).to.include('6.1   NO RESULT (timed out after 10s)');
    });
  });
});
