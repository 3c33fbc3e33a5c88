/**
 * The CLI on bad input (docs/errors.md): every case is one `Error: ...` line on stderr that says
 * what is wrong, no stack trace unless -d, the documented exit code (255; missing privileges,
 * exit 1, are in test/harden/privileges), and nothing left behind: no pins, no mounts, no programs of the failed object.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getProgInfo, objectIds, objGet, progGetFdById } from '../../src/sys/index.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { bpffsTempDir } from '../helpers/bpffs.js';

/** One line, `Error: ` first, no stack frames, nothing on stdout. */
function expectOneLine(r: CliRun, code: number, message: string | RegExp): void {
  expect(r.out, 'stdout').to.equal('');
  const lines = r.err.split('\n');
  expect(lines.length, `one line on stderr: ${JSON.stringify(r.err)}`).to.equal(2);
  expect(lines[1]).to.equal('');
  expect(r.err).to.not.match(/^\s+at /m);
  const line = lines[0] ?? '';
  if (typeof message === 'string') expect(line).to.equal(`Error: ${message}`);
  else expect(line).to.match(message);
  expect(r.code, r.err).to.equal(code);
}

/** Programs named `name` in the kernel now (another test's programs have other names). */
function programsNamed(name: string): number {
  let n = 0;
  for (const id of objectIds('prog')) {
    try {
      using fd = progGetFdById(id);
      if (getProgInfo(fd).name === name) n++;
    } catch {
      // freed meanwhile
    }
  }
  return n;
}

function mounts(): string {
  return readFileSync('/proc/self/mounts', 'utf8');
}

describe('cli: bad input gives one clear line and leaves nothing behind', function () {
  this.timeout(60_000);
  let tmp = '';
  let pins = '';
  before(function () {
    requirePrivileges(this);
    tmp = mkdtempSync(join(tmpdir(), 'bpfts-bad-input-'));
    pins = bpffsTempDir('bpfts-bad-input-');
    writeFileSync(join(tmp, 'empty.o'), '');
    writeFileSync(join(tmp, 'text.o'), 'this is a text file, not an object\n');
    mkdirSync(join(tmp, 'dir.o'));
    // minimal.bpf.o claiming to be an aarch64 object (e_machine 183).
    const arm = new Uint8Array(readFileSync(join(BPF_DIR, 'minimal.bpf.o')));
    new DataView(arm.buffer).setUint16(18, 183, true);
    writeFileSync(join(tmp, 'aarch64.o'), arm);
  });
  after(function () {
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
    if (pins !== '') rmSync(pins, { recursive: true, force: true });
  });
  afterEach(function () {
    // Every failing load below must leave the pin directory as it found it.
    if (pins !== '' && this.currentTest?.title.includes('leaves no pin')) expect(readdirSync(pins)).to.deep.equal([]);
  });

  const objectCases: ReadonlyArray<readonly [string, () => string, string | RegExp]> = [
    ['a missing file', () => join(tmp, 'missing.o'), `failed to open object file: ${'<tmp>'}/missing.o: No such file or directory`],
    ['a directory', () => join(tmp, 'dir.o'), `failed to open object file: ${'<tmp>'}/dir.o: Is a directory`],
    ['an empty file', () => join(tmp, 'empty.o'), `failed to open object file: ${'<tmp>'}/empty.o: file too short for an ELF identification (0 bytes) (at offset 0x0)`],
    ['a text file', () => join(tmp, 'text.o'), `failed to open object file: ${'<tmp>'}/text.o: not an ELF file (bad magic) (at offset 0x0)`],
    ['an aarch64 object', () => join(tmp, 'aarch64.o'), /^Error: failed to open object file: .*aarch64\.o: wrong machine: e_machine 183, expected 247 or 0 \(EM_BPF is 247\)/],
    ['an x86-64 executable', () => process.execPath, /^Error: failed to open object file: .*: (wrong machine: e_machine 62|.*sh_link)/],
    ['a big-endian BPF object', () => join(BPF_DIR, 'elf-asm', 'programs-bpfeb.bpf.o'), /^Error: failed to load object file: .*programs-bpfeb\.bpf\.o: object is big-endian; this kernel runs little-endian programs$/],
    ['an object without BTF whose externs need it', () => join(BPF_DIR, 'elf-asm', 'programs-nodebug.bpf.o'), /^Error: failed to open object file: .*programs-nodebug\.bpf\.o: extern '\w+' needs the object's BTF, but there is no '\.BTF' section$/],
    ['an object calling a kfunc this kernel lacks', () => join(BPF_DIR, 'harden', 'unknown_kfunc.bpf.o'), /^Error: failed to load object file: .*unknown_kfunc\.bpf\.o: extern 'bpf_ts_no_such_kfunc': kernel function not found in kernel BTF$/],
    ['an object calling a helper this kernel lacks', () => join(BPF_DIR, 'harden', 'unknown_helper.bpf.o'), "failed to load object file: program 'needs_helper' rejected by the verifier at unknown_helper.bpf.c:11: helper #4000 does not exist in this kernel"],
  ];
  for (const [what, path, message] of objectCases) {
    for (const verb of ['load', 'loadall']) {
      it(`prog ${verb} of ${what}: exit 255, one line, leaves no pin`, async function () {
        const target = join(pins, 'p');
        const r = await runCli(['prog', verb, path(), target]);
        expectOneLine(r, 255, typeof message === 'string' ? message.replace('<tmp>', tmp) : message);
      });
    }
  }

  it('the programs of a failed load are not left in the kernel', async function () {
    for (const [name, object] of [['needs_kfunc', 'unknown_kfunc'], ['needs_helper', 'unknown_helper']] as const) {
      expect(programsNamed(name), `${name} before`).to.equal(0);
      const r = await runCli(['prog', 'loadall', join(BPF_DIR, 'harden', `${object}.bpf.o`), join(pins, object)]);
      expect(r.code).to.equal(255);
      expect(programsNamed(name), `${name} after`).to.equal(0);
    }
    expect(readdirSync(pins)).to.deep.equal([]);
  });

  it('-d adds the stack trace and the whole error; without it there is none', async function () {
    const plain = await runCli(['prog', 'load', join(tmp, 'text.o'), join(pins, 'p')]);
    expect(plain.err).to.not.match(/^\s+at /m);
    const debug = await runCli(['-d', 'prog', 'load', join(tmp, 'text.o'), join(pins, 'p')]);
    expect(debug.code).to.equal(255);
    expect(debug.err).to.match(/^Error: failed to open object file: /);
    expect(debug.err).to.match(/^\s+at /m);
  });

  it('a pin path outside bpffs is refused: no mount, no directory, no program left', async function () {
    const before = mounts();
    const outside = join(tmp, 'not-bpffs', 'deeper');
    for (const [verb, path] of [['load', join(outside, 'pin')], ['loadall', outside]] as const) {
      const r = await runCli(['prog', verb, join(BPF_DIR, 'minimal.bpf.o'), path]);
      expectOneLine(r, 255, `can't pin at ${path}: ${tmp} is not on a BPF file system (bpffs); pin under /sys/fs/bpf, or mount one first with 'mount -t bpf bpf DIR'`);
    }
    expect(mounts()).to.equal(before);
    expect(readdirSync(tmp).sort()).to.deep.equal(['aarch64.o', 'dir.o', 'empty.o', 'text.o']);
  });

  it('an existing pin is not replaced: one line naming EEXIST, the old pin still there', async function () {
    const path = join(pins, 'taken');
    expect((await runCli(['prog', 'load', join(BPF_DIR, 'minimal.bpf.o'), path])).code).to.equal(0);
    try {
      const id = (() => {
        using fd = objGet(path);
        return getProgInfo(fd).id;
      })();
      const r = await runCli(['prog', 'load', join(BPF_DIR, 'subprogs.bpf.o'), path]);
      expectOneLine(r, 255, /^Error: failed to pin program \S+: BPF_OBJ_PIN .*taken failed \(EEXIST\): bpf: File exists$/);
      using fd = objGet(path);
      expect(getProgInfo(fd).id, 'the pin still holds the first program').to.equal(id);
    } finally {
      rmSync(path, { force: true });
    }
  });

  const handleCases: ReadonlyArray<readonly [readonly string[], string]> = [
    [['prog', 'show', 'id', 'abc'], "can't parse abc as ID"],
    [['prog', 'show', 'id', '4294967295'], 'get by id (4294967295): No such file or directory'],
    [['prog', 'show', 'tag', 'xyz'], "can't parse tag"],
    [['map', 'lookup', 'id', '4294967295', 'key', '0', '0', '0', '0'], 'get map by id (4294967295): No such file or directory'],
    [['prog', 'show', 'pinned', '/sys/fs/bpf/bpfts-no-such-pin'], 'bpf obj get (/sys/fs/bpf/bpfts-no-such-pin): No such file or directory'],
  ];
  for (const [argv, message] of handleCases) {
    it(`${argv.join(' ')}: exit 255, one line`, async function () {
      expectOneLine(await runCli(argv), 255, message);
    });
  }
});
