/**
 * `bpf-ts prog dump xlated` against `bpftool prog dump xlated` on programs bpftool itself loaded
 * (bpf/elf-asm/programs.bpf.o and isa-v4.bpf.o): plain, `linum`, `opcodes`, `file`, `-j`, `-p`,
 * by id, pinned path, tag and name (several matches included).
 *
 * Debian's bpftool v7.1 carries the disassembler of Linux 6.1; we print what the running
 * kernel's `kernel/bpf/disasm.c` prints. The differences, each rewritten to the 6.1 form before
 * comparing (see `legacyDisasm`):
 * - ISA v4 (Linux 6.6): sign-extending loads print `BUG_ldx_<code>`, `bswap` prints
 *   `BUG_alu64_d7`, `gotol` prints as a generic `if w0 jmp ...`, and sdiv/smod/movsx print
 *   without their `s`/cast.
 * - the kernel-internal per-CPU address move (`off` = -1, Linux 6.10) prints as a plain move.
 * And one JSON difference that is not about versions: bpftool's json_writer escapes a backslash
 * as `\n` and a single quote as `\'` (invalid JSON); our writer emits valid JSON (`\\`, `'`).
 * isa-v4.c has a backslash in a source line (inline asm), so JSON is compared after rewriting
 * ours the bpftool way (`bpftoolEscapes`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runCli } from '../helpers/cli.js';
import { encodeInstructions, type Instruction } from '../../src/asm/index.js';
import { getProgInfo, OwnedFd, progGetFdById, progLoad, ProgType } from '../../src/sys/index.js';
import { BPF_DIR, CLI } from '../helpers/paths.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { ensureTestBpffs } from '../helpers/bpffs.js';

const BPFTOOL = '/usr/sbin/bpftool';
const SETPRIV = '/usr/bin/setpriv';

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

function run(...argv: string[]): Promise<Run> {
  return runCli(argv);
}

function bpftool(...argv: string[]): string {
  return execFileSync(BPFTOOL, argv, { encoding: 'utf8', maxBuffer: 1 << 26 });
}

/** Rewrites one instruction's text from the current disasm.c syntax to bpftool v7.1's (Linux 6.1). */
function legacyDisasm(text: string): string {
  let m: RegExpMatchArray | null;
  if ((m = /^\(([0-9a-f]{2})\) r\d+ = \*\(s(?:8|16|32) \*\)\(r\d+ [+-]\d+\)$/.exec(text))) return `BUG_ldx_${m[1] as string}`;
  if (/^\(d7\) r\d+ = bswap\d+ r\d+$/.test(text)) return 'BUG_alu64_d7';
  // Compiler-emitted gotol has dst 0 and off 0; 6.1 prints JMP32|JA through the generic K form.
  if ((m = /^\(06\) gotol pc([+-]\d+)$/.exec(text))) return `(06) if w0 jmp 0x${(Number(m[1]) >>> 0).toString(16)} goto pc+0`;
  return text
    .replace(/ s([/%])= /, ' $1= ')
    .replace(/ = \(s(?:8|16|32)\)([rw]\d+)$/, ' = $1')
    .replace(/ = &\(void __percpu \*\)\((r\d+)\)$/, ' = $1');
}

function legacyPlain(dump: string): string {
  return dump
    .split('\n')
    .map((line) => {
      const m = /^( *\d+: )(.*)$/.exec(line);
      return m ? `${m[1] as string}${legacyDisasm(m[2] as string)}` : line;
    })
    .join('\n');
}

/** Our valid JSON string escapes rewritten to bpftool v7.1's (`\\` -> `\n`, `'` -> `\'`). */
function bpftoolEscapes(json: string): string {
  return json.replace(/\\(.)|'/g, (all: string, escaped: string | undefined) => (all === "'" ? "\\'" : escaped === '\\' ? '\\n' : all));
}

function legacyJson(dump: string): string {
  return bpftoolEscapes(dump).replace(/("disasm": ?")([^"]*)(")/g, (_all, a: string, text: string, b: string) => `${a}${legacyDisasm(text)}${b}`);
}

describe('cli: prog dump xlated agrees with bpftool', function () {
  this.timeout(120_000);
  const pinRoot = `/sys/fs/bpf/bpf-ts-prog-dump-${process.pid}-${Date.now().toString(36)}`;
  const loaded: Record<string, { id: number; tag: string; pinned: string }> = {};
  const allIds: number[] = [];

  before(function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
    ensureTestBpffs();
    mkdirSync(pinRoot);
    bpftool('prog', 'loadall', join(BPF_DIR, 'elf-asm/programs.bpf.o'), `${pinRoot}/a`);
    bpftool('prog', 'loadall', join(BPF_DIR, 'elf-asm/isa-v4.bpf.o'), `${pinRoot}/v4`);
    // A second copy, so `name sock_count` matches two programs.
    bpftool('prog', 'loadall', join(BPF_DIR, 'elf-asm/programs.bpf.o'), `${pinRoot}/b`);
    for (const [dir, names] of [['a', ['sock_count', 'xdp_parse', 'on_unlink']], ['v4', ['v4_ops']], ['b', ['sock_count', 'xdp_parse', 'on_unlink']]] as const) {
      for (const name of names) {
        const pinned = `${pinRoot}/${dir}/${name}`;
        const info = JSON.parse(bpftool('-j', 'prog', 'show', 'pinned', pinned)) as { id: number; tag: string };
        allIds.push(info.id);
        if (dir !== 'b') loaded[name] = { id: info.id, tag: info.tag, pinned };
      }
    }
  });

  after(function () {
    if (existsSync(pinRoot)) rmSync(pinRoot, { recursive: true, force: true });
  });

  for (const name of ['sock_count', 'xdp_parse', 'on_unlink', 'v4_ops']) {
    for (const opt of [[], ['linum'], ['opcodes']] as const) {
      it(`${name} ${opt.join(' ') || '(plain)'}: plain, -j and -p by id and by pinned path`, async function () {
        const p = loaded[name];
        if (!p) throw new Error(`${name} not loaded`);
        const expected = bpftool('prog', 'dump', 'xlated', 'id', String(p.id), ...opt);
        expect(expected.length).to.be.greaterThan(100);
        // Both handle forms for the plain dump; by id for the rest (every dump reads kallsyms, which is slow).
        for (const handle of opt.length === 0 ? [['id', String(p.id)], ['pinned', p.pinned]] : [['id', String(p.id)]]) {
          const ours = await run('prog', 'dump', 'xlated', ...handle, ...opt);
          expect(ours.err).to.equal('');
          expect(ours.code).to.equal(0);
          expect(legacyPlain(ours.out)).to.equal(expected);
        }
        for (const flag of ['-j', '-p']) {
          const ours = await run(flag, 'prog', 'dump', 'xlated', 'id', String(p.id), ...opt);
          expect(ours.code).to.equal(0);
          expect(legacyJson(ours.out), flag).to.equal(bpftool(flag, 'prog', 'dump', 'xlated', 'id', String(p.id), ...opt));
        }
      });
    }
  }

  it('the v1-v3 programs need no rewriting at all; the v4 one prints the v4 syntax', async function () {
    for (const name of ['sock_count', 'xdp_parse']) {
      const p = loaded[name];
      if (!p) throw new Error(`${name} not loaded`);
      expect((await run('prog', 'dump', 'xlated', 'id', String(p.id), 'linum')).out).to.equal(bpftool('prog', 'dump', 'xlated', 'id', String(p.id), 'linum'));
    }
    const v4 = (await run('prog', 'dump', 'xlated', 'pinned', loaded['v4_ops']?.pinned ?? '')).out;
    for (const re of [/\(d7\) r\d+ = bswap64 r\d+/, /\(91\) r\d+ = \*\(s8 \*\)/, /\(89\) r\d+ = \*\(s16 \*\)/, / s\/= /, / s%= /, /= \(s32\)r\d+/, /= \(s8\)r\d+/]) {
      expect(v4).to.match(re);
    }
  });

  it('tag and name; several matches get bpftool\'s per-program header (plain) or objects with "insns" (-j)', async function () {
    const v4 = loaded['v4_ops'];
    if (!v4) throw new Error('v4_ops not loaded');
    expect(legacyPlain((await run('prog', 'dump', 'xlated', 'tag', v4.tag)).out)).to.equal(bpftool('prog', 'dump', 'xlated', 'tag', v4.tag));
    expect(legacyPlain((await run('prog', 'dump', 'xlated', 'name', 'v4_ops')).out)).to.equal(bpftool('prog', 'dump', 'xlated', 'name', 'v4_ops'));
    const plain = await run('prog', 'dump', 'xlated', 'name', 'sock_count');
    expect(plain.out).to.equal(bpftool('prog', 'dump', 'xlated', 'name', 'sock_count'));
    expect(plain.out.match(/^\d+: socket_filter {2}name sock_count {2}tag [0-9a-f]{16} {2}gpl/gm)).to.have.length.of.at.least(2);
    const json = await run('-j', 'prog', 'dump', 'xlated', 'name', 'sock_count', 'opcodes');
    expect(json.out).to.equal(bpftool('-j', 'prog', 'dump', 'xlated', 'name', 'sock_count', 'opcodes'));
    const parsed = JSON.parse(json.out) as Array<{ id: number; insns: unknown[] }>;
    expect(parsed.length).to.be.at.least(2);
    expect(parsed[0]?.insns.length).to.be.greaterThan(10);
  });

  it('file FILE writes the raw instructions, like bpftool (and -j prints null)', async function () {
    const p = loaded['on_unlink'];
    if (!p) throw new Error('on_unlink not loaded');
    const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-dump-'));
    try {
      const ours = await run('prog', 'dump', 'xlated', 'id', String(p.id), 'file', join(dir, 'ours.bin'));
      expect(ours).to.deep.equal({ code: 0, out: '', err: '' });
      bpftool('prog', 'dump', 'xlated', 'id', String(p.id), 'file', join(dir, 'theirs.bin'));
      expect(readFileSync(join(dir, 'ours.bin'))).to.deep.equal(readFileSync(join(dir, 'theirs.bin')));
      expect((await run('-j', 'prog', 'dump', 'xlated', 'id', String(p.id), 'file', join(dir, 'again.bin'))).out).to.equal('null\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('opcodes and linum together (newer bpftool\'s combination): both annotations on one dump', async function () {
    const p = loaded['sock_count'];
    if (!p) throw new Error('sock_count not loaded');
    const both = (await run('prog', 'dump', 'xlated', 'id', String(p.id), 'linum', 'opcodes')).out;
    const linum = bpftool('prog', 'dump', 'xlated', 'id', String(p.id), 'linum');
    const opcodes = bpftool('prog', 'dump', 'xlated', 'id', String(p.id), 'opcodes');
    // Removing the opcode lines gives the linum dump; removing the source lines gives the opcodes dump.
    expect(both.split('\n').filter((l) => !/^ {7}[0-9a-f]{2}( [0-9a-f]{2}){7}/.test(l)).join('\n')).to.equal(linum);
    expect(both.split('\n').filter((l) => !l.startsWith('; ')).join('\n')).to.equal(opcodes.split('\n').filter((l) => !l.startsWith('; ')).join('\n'));
  });

  it('the installed CLI entry point prints the same as main()', function () {
    const p = loaded['xdp_parse'];
    if (!p) throw new Error('xdp_parse not loaded');
    const out = execFileSync(CLI, ['prog', 'dump', 'xlated', 'id', String(p.id)], { encoding: 'utf8' });
    expect(out).to.equal(bpftool('prog', 'dump', 'xlated', 'id', String(p.id)));
  });

  it('a program without BTF (loaded raw): no signatures or source, legacy skb loads, END, NEG, ST, atomics, ldimm64, helper and bpf-to-bpf calls', async function () {
    const i = (opcode: number, dst = 0, src = 0, off = 0, imm = 0, imm64?: bigint): Instruction =>
      imm64 === undefined ? { opcode, dst, src, off, imm } : { opcode, dst, src, off, imm, imm64 };
    const insns = [
      i(0xbf, 6, 1), // r6 = r1
      i(0x30, 0, 0, 0, 12), // r0 = *(u8 *)skb[12]
      i(0xdc, 0, 0, 0, 16), // r0 = be16 r0
      i(0x84, 0), // w0 = -w0
      i(0x7a, 10, 0, -8, 0), // *(u64 *)(r10 -8) = 0
      i(0xb7, 1, 0, 0, 1), // r1 = 1
      i(0xdb, 10, 1, -8, 0), // lock *(u64 *)(r10 -8) += r1
      i(0x18, 2, 0, 0, 0x23456789, 0x1_2345_6789n), // r2 = 0x123456789
      i(0x85, 0, 0, 0, 5), // call bpf_ktime_get_ns
      i(0x26, 0, 0, 1, 0x10), // if w0 > 0x10 goto pc+1
      i(0x85, 0, 1, 0, 2), // call pc+2
      i(0xb7, 0, 0, 0, 0),
      i(0x95),
      i(0xb7, 0, 0, 0, 1), // subprog
      i(0x95),
    ];
    const fd = new OwnedFd(progLoad({ progType: ProgType.SOCKET_FILTER, insns: encodeInstructions(insns, 'little'), license: 'GPL', name: 'nobtf_dump' }).fd, 'prog');
    try {
      const id = getProgInfo(fd).id;
      for (const argv of [[], ['opcodes'], ['linum']]) {
        const ours = await run('prog', 'dump', 'xlated', 'id', String(id), ...argv);
        expect(ours.code).to.equal(0);
        expect(ours.out).to.equal(bpftool('prog', 'dump', 'xlated', 'id', String(id), ...argv));
        expect(ours.out).to.not.contain(';');
        expect((await run('-j', 'prog', 'dump', 'xlated', 'id', String(id), ...argv)).out).to.equal(bpftool('-j', 'prog', 'dump', 'xlated', 'id', String(id), ...argv));
      }
      const text = (await run('prog', 'dump', 'xlated', 'id', String(id))).out;
      for (const re of [/r2 = 0x123456789/, /call bpf_ktime_get_ns#/, /call pc\+\d+#bpf_prog_[0-9a-f]{16}_F/, /lock \*\(u64 \*\)\(r10 -8\) \+= r1/, /w0 = -w0/]) expect(text).to.match(re);
    } finally {
      fd.close();
    }
  });

  describe('errors', function () {
    const cases: Array<[string, string[], RegExp, number]> = [
      ['jited is not supported', ['prog', 'dump', 'jited', 'id', '1'], /^Error: 'dump jited' is not supported by bpf-ts/, 255],
      ['unknown dump mode', ['prog', 'dump', 'foo', 'id', '1'], /^Error: expected 'xlated' or 'jited', got: foo\n$/, 255],
      ['missing PROG', ['prog', 'dump', 'xlated', 'id'], /^Error: expected PROG := /, 255],
      ['nonexistent id', ['prog', 'dump', 'xlated', 'id', '4294967295'], /^Error: get by id \(4294967295\): No such file or directory\n$/, 255],
      ['file with opcodes', ['prog', 'dump', 'xlated', 'name', 'v4_ops', 'file', '/tmp/x', 'opcodes'], /^Error: 'file' is not compatible with 'opcodes', 'visual', or 'linum'\n$/, 255],
      ['file without a path', ['prog', 'dump', 'xlated', 'name', 'v4_ops', 'file'], /^Error: expected file path\n$/, 255],
      ['file with several programs', ['prog', 'dump', 'xlated', 'name', 'sock_count', 'file', '/tmp/x'], /^Error: several programs matched\n$/, 255],
      ['visual', ['prog', 'dump', 'xlated', 'name', 'v4_ops', 'visual'], /^Error: 'visual' .* is not supported by bpf-ts\n$/, 255],
      ['unknown option', ['prog', 'dump', 'xlated', 'name', 'v4_ops', 'bogus'], /^Error: unknown option 'bogus' for 'prog dump xlated'/, 255],
      ['unwritable file', ['prog', 'dump', 'xlated', 'name', 'v4_ops', 'file', '/nonexistent-dir/x'], /^Error: can't open file \/nonexistent-dir\/x: No such file or directory\n$/, 255],
    ];
    for (const [what, argv, message, code] of cases) {
      it(what, async function () {
        const r = await run(...argv);
        expect(r.code).to.equal(code);
        expect(r.out).to.equal('');
        expect(r.err).to.match(message);
      });
    }
    it('a name nothing has: silent, exit 255, like bpftool', async function () {
      expect(await run('prog', 'dump', 'xlated', 'name', 'no_such_prog_xyz')).to.deep.equal({ code: 255, out: '', err: '' });
    });
    it('without CAP_BPF/CAP_SYS_ADMIN (a pinned program is still openable): the kernel returns no instructions, bpftool\'s error', function () {
      requireTool(this, SETPRIV);
      const drop = ['--bounding-set=-sys_admin,-bpf,-perfmon,-syslog', '--inh-caps=-sys_admin,-bpf,-perfmon,-syslog'];
      const pinned = loaded['v4_ops']?.pinned ?? '';
      const ours = spawnSync(SETPRIV, [...drop, CLI, 'prog', 'dump', 'xlated', 'pinned', pinned], { encoding: 'utf8' });
      const theirs = spawnSync(SETPRIV, [...drop, BPFTOOL, 'prog', 'dump', 'xlated', 'pinned', pinned], { encoding: 'utf8' });
      expect(ours.status).to.equal(255);
      expect(ours.stderr).to.equal('Error: error retrieving insn dump: kernel.kptr_restrict set?\n');
      expect({ status: ours.status, stdout: ours.stdout, stderr: ours.stderr }).to.deep.equal({ status: theirs.status, stdout: theirs.stdout, stderr: theirs.stderr });
    });
    it('without CAP_SYSLOG: kallsyms and call addresses are hidden, and both print the same placeholders', function () {
      requireTool(this, SETPRIV);
      const drop = ['--bounding-set=-syslog', '--inh-caps=-syslog'];
      const pinned = loaded['on_unlink']?.pinned ?? '';
      const ours = execFileSync(SETPRIV, [...drop, CLI, 'prog', 'dump', 'xlated', 'pinned', pinned], { encoding: 'utf8' });
      const theirs = execFileSync(SETPRIV, [...drop, BPFTOOL, 'prog', 'dump', 'xlated', 'pinned', pinned], { encoding: 'utf8' });
      expect(legacyPlain(ours)).to.equal(theirs);
      expect(ours).to.match(/call pc[+-]\d+#0x0\n/);
    });
    it('-j errors are JSON objects', async function () {
      const r = await run('-j', 'prog', 'dump', 'xlated', 'id', '4294967295');
      expect(JSON.parse(r.out)).to.deep.equal({ error: 'get by id (4294967295): No such file or directory' });
    });
  });

  describe('cleanup', function () {
    it('leaves no programs behind once the pins are removed', async function () {
      rmSync(pinRoot, { recursive: true, force: true });
      // Freeing is RCU-deferred: poll briefly.
      for (let attempt = 0; attempt < 50; attempt++) {
        const alive = allIds.filter((id) => {
          try {
            const fd = progGetFdById(id);
            try {
              return getProgInfo(fd).id === id;
            } finally {
              fd.close();
            }
          } catch {
            return false;
          }
        });
        if (alive.length === 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`programs still loaded: ${allIds.join(',')}`);
    });
  });
});
