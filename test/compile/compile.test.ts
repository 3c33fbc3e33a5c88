import { expect } from 'chai';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compile,
  compileFile,
  compileObjectSpec,
  CompileCacheError,
  CompileError,
  CompilerNotFoundError,
  defaultCacheDir,
  findClang,
  loadObject,
  parseDepfile,
  BpfTsError,
} from '../../src/index.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';

const HELLO = `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

const volatile int knob = 1;

SEC("tp/syscalls/sys_enter_getppid")
int hello(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	int ppid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_printk("hello %d %d", ppid, knob);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

describe('compile: BPF C with the system clang, cached', function () {
  this.timeout(120_000);
  let dir: string;
  let cacheDir: string;
  let fakeBin: string;
  let countFile: string;
  const savedPath = process.env['PATH'];

  const clangRuns = (): string[] => (existsSync(countFile) ? readFileSync(countFile, 'utf8').trim().split('\n') : []);

  before(function () {
    requireTool(this, '/usr/bin/clang');
    dir = mkdtempSync(join(tmpdir(), 'bpf-ts-compile-'));
    cacheDir = join(dir, 'cache');
    fakeBin = join(dir, 'bin');
    countFile = join(dir, 'clang-runs');
    // A clang on PATH that logs each run (its first argument) and hands over to the real one.
    mkdirSync(fakeBin);
    writeFileSync(join(fakeBin, 'clang'), `#!/bin/sh\necho "$1" >> '${countFile}'\nexec /usr/bin/clang "$@"\n`);
    chmodSync(join(fakeBin, 'clang'), 0o755);
    process.env['PATH'] = `${fakeBin}:${savedPath ?? ''}`;
  });
  after(() => {
    process.env['PATH'] = savedPath;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('finds clang on PATH, compiles against the generated vmlinux.h and caches: the second call runs no clang', async function () {
    expect(findClang()).to.equal(join(fakeBin, 'clang'));
    const first = await compile(HELLO, { cacheDir, fileName: 'hello.bpf.c' });
    expect(first.cached).to.equal(false);
    expect(clangRuns()).to.deep.equal(['--version', '-O2']);
    expect(first.path).to.match(/\/objects\/[0-9a-f]{40}\/hello\.bpf\.o$/);
    expect(first.path.startsWith(cacheDir)).to.equal(true);
    expect(Buffer.from(readFileSync(first.path)).equals(Buffer.from(first.bytes))).to.equal(true);
    expect(first.command).to.include.members(['-O2', '-g', '-target', 'bpf', '-D__TARGET_ARCH_x86']);
    const vmlinuxH = first.command[first.command.indexOf('-I') + 1] as string;
    expect(readFileSync(join(vmlinuxH, 'vmlinux.h'), 'utf8')).to.match(/^#ifndef __VMLINUX_H__\n/).and.contain('struct task_struct {');

    const second = await compile(HELLO, { cacheDir, fileName: 'hello.bpf.c' });
    expect(second.cached).to.equal(true);
    expect(second.key).to.equal(first.key);
    expect(second.path).to.equal(first.path);
    expect(clangRuns()).to.have.length(2); // no --version, no compile

    const changed = await compile(HELLO.replace('knob = 1', 'knob = 2'), { cacheDir, fileName: 'hello.bpf.c' });
    expect(changed.cached).to.equal(false);
    expect(changed.key).to.not.equal(first.key);
    expect(clangRuns()).to.have.length(3);
    const flags = await compile(HELLO, { cacheDir, fileName: 'hello.bpf.c', cflags: ['-DBPF_TS_TEST_FLAG=1'] });
    expect(flags.cached).to.equal(false);
    const forced = await compile(HELLO, { cacheDir, fileName: 'hello.bpf.c', force: true });
    expect(forced.cached).to.equal(false);
    expect(forced.key).to.equal(first.key);
    expect(clangRuns()).to.have.length(5);
  });

  it('compileFile: a changed local header is a cache miss, an unchanged one a hit', async function () {
    const src = join(dir, 'withheader.bpf.c');
    const hdr = join(dir, 'local.h');
    writeFileSync(hdr, '#define VALUE 7\n');
    writeFileSync(src, '#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n#include "local.h"\nSEC("socket") int f(void *c) { return VALUE; }\nchar LICENSE[] SEC("license") = "GPL";\n');
    const a = await compileFile(src, { cacheDir });
    const runs = clangRuns().length;
    const b = await compileFile(src, { cacheDir });
    expect([a.cached, b.cached]).to.deep.equal([false, true]);
    expect(clangRuns()).to.have.length(runs);
    writeFileSync(hdr, '#define VALUE 8\n');
    const c = await compileFile(src, { cacheDir });
    expect(c.cached).to.equal(false);
    expect(c.key).to.equal(a.key); // same source and flags: the stale entry was replaced
    expect(Buffer.from(c.bytes).equals(Buffer.from(a.bytes))).to.equal(false);
    expect((await compileFile(src, { cacheDir })).cached).to.equal(true);
  });

  it('concurrent compiles of one new source all succeed with identical objects', async function () {
    const src = HELLO.replace('knob = 1', 'knob = 77');
    const results = await Promise.all([1, 2, 3].map(() => compile(src, { cacheDir })));
    const keys = new Set(results.map((r) => r.key));
    expect(keys.size).to.equal(1);
    for (const r of results) {
      expect(existsSync(r.path)).to.equal(true);
      expect(Buffer.from(r.bytes).equals(Buffer.from(results[0]!.bytes))).to.equal(true);
    }
    expect((await compile(src, { cacheDir })).cached).to.equal(true);
  });

  it('compileObjectSpec parses the object, and it loads with CO-RE against the running kernel', async function () {
    requirePrivileges(this);
    const { spec, cached } = await compileObjectSpec(HELLO, { cacheDir, fileName: 'hello.bpf.c' });
    expect(cached).to.equal(true);
    expect(spec.programs.map((p) => p.name)).to.deep.equal(['hello']);
    spec.variables.get('knob')!.set(5);
    using obj = await loadObject(spec);
    expect(obj.program('hello')!.info().name).to.equal('hello');
  });

  it('refuses a missing compiler with CompilerNotFoundError naming the Debian package', async function () {
    const err = await compile(HELLO, { cacheDir, clang: 'clang-does-not-exist' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(CompilerNotFoundError).and.instanceOf(BpfTsError);
    expect((err as Error).message).to.equal("clang-does-not-exist not found on PATH: install the Debian package 'clang' (apt-get install clang), or pass { clang: '/path/to/clang' }");
    expect((err as CompilerNotFoundError).searched).to.include(fakeBin);
    expect(() => findClang('/nonexistent/clang')).to.throw(CompilerNotFoundError, "compiler /nonexistent/clang not found or not executable: install the Debian package 'clang'");
    expect(() => findClang('clang', '/nonexistent')).to.throw(CompilerNotFoundError, 'clang not found on PATH');
  });

  it('a cache that cannot be written is a CompileCacheError naming it, before and after the header is cached', async function () {
    // Root ignores permission bits, so "cannot be written" is a path through a regular file.
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, '');
    const blocked = join(file, 'cache');
    const err = await compile(HELLO, { cacheDir: blocked }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(CompileCacheError).and.instanceOf(BpfTsError);
    expect((err as CompileCacheError).cacheDir).to.equal(blocked);
    expect((err as CompileCacheError).code).to.equal('ENOTDIR');
    expect((err as Error).message).to.match(new RegExp(`^compile cache ${blocked} is not writable \\(ENOTDIR: .*\\): pass \\{ cacheDir \\} or set XDG_CACHE_HOME to a writable directory$`));
    // A cache whose objects/ is a file: the header step passes, the build directory cannot be made.
    const partial = join(dir, 'partial-cache');
    mkdirSync(partial);
    writeFileSync(join(partial, 'objects'), '');
    const err2 = await compile(HELLO, { cacheDir: partial, fileName: 'partial.bpf.c' }).catch((e: unknown) => e);
    expect(err2).to.be.instanceOf(CompileCacheError);
    expect((err2 as CompileCacheError).code).to.equal('EEXIST'); // mkdir -p over a file
  });

  it("surfaces clang's errors as CompileError with the diagnostics", async function () {
    const err = await compile('int x = ;\nint y = ;\n', { cacheDir, fileName: 'broken.bpf.c' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(CompileError);
    const ce = err as CompileError;
    expect(ce.message).to.equal('compile broken.bpf.c failed: broken.bpf.c:1:9: error: expected expression (and 1 more errors)');
    expect(ce.fileName).to.equal('broken.bpf.c');
    expect(ce.exitCode).to.equal(1);
    expect(ce.diagnostics).to.contain('broken.bpf.c:2:9: error: expected expression').and.contain('2 errors generated.');
    // Failures are not cached: the next try runs clang again.
    const runs = clangRuns().length;
    await compile('int x = ;\nint y = ;\n', { cacheDir, fileName: 'broken.bpf.c' }).catch(() => undefined);
    expect(clangRuns()).to.have.length(runs + 1);
  });
});

describe('compile: pure helpers', () => {
  it('defaultCacheDir: $XDG_CACHE_HOME/bpf-ts, else ~/.cache/bpf-ts (relative XDG values ignored)', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/var/cache/me' })).to.equal('/var/cache/me/bpf-ts');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative' })).to.match(/\/\.cache\/bpf-ts$/);
    expect(defaultCacheDir({})).to.match(/\/\.cache\/bpf-ts$/);
  });

  it('parseDepfile reads continued lines and escaped spaces', () => {
    expect(parseDepfile('a.o: a.c /usr/include/bpf/bpf_helpers.h \\\n  /x/my\\ dir/b.h\n')).to.deep.equal(['a.c', '/usr/include/bpf/bpf_helpers.h', '/x/my dir/b.h']);
  });
});
