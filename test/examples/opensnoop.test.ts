import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { requirePrivileges } from '../helpers/privileges.js';
import { bpfObjectsLeft, runAs, startExample, uniqueComm } from '../helpers/example-process.js';

const HEADER = /^PID {4}COMM {14}FD ERR PATH$/;
const NONE = { progs: [], maps: [], links: [] };

/** opensnoop's `%-6d %-16s %3d %3d %s` line. */
function line(pid: number, comm: string, fd: RegExp | number, err: number, path: string): RegExp {
  const fdText = typeof fd === 'number' ? String(fd).padStart(3) : fd.source;
  return new RegExp(`^${escape(String(pid).padEnd(6))} ${escape(comm.padEnd(16))} ${fdText} ${escape(String(err).padStart(3))} ${escape(path)}$`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The comm `runAs` gave a process: the symlink's name. */
function commOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

describe('examples: opensnoop', function () {
  this.timeout(20000);
  let dir: string;
  let present: string;
  let missing: string;

  before(function () {
    requirePrivileges(this);
    dir = mkdtempSync(join(tmpdir(), 'bpfts-opensnoop-'));
    present = join(dir, 'present');
    missing = join(dir, 'missing');
    writeFileSync(present, 'x');
  });

  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('-c COMM prints the opens of that process only (fd, errno, path), and detaches on SIGINT', async () => {
    const comm = uniqueComm('osn');
    await using tool = startExample('opensnoop', ['-c', comm]);
    await tool.waitForLine(HEADER);
    const held = tool.bpfObjects();
    // open, openat and openat2, entry and exit: this kernel has all three.
    expect(held.progs).to.have.length(6);
    expect(held.links).to.have.length(6);

    // Another process opens a file first: the filter keeps it out.
    const other = await runAs(uniqueComm('oso'), '/bin/sh', ['-c', `true < ${present}`]);
    expect(other.code).to.equal(0);
    // The shell opens both files itself (redirections of the builtin `true` do not fork; a failed one does not end the shell as with `:`).
    const run = await runAs(comm, '/bin/sh', ['-c', `true < ${present}; true < ${missing}; exit 0`]);
    expect(run.code).to.equal(0);
    await tool.waitForLine(line(run.pid, comm, / +\d+/, 0, present));
    await tool.waitForLine(line(run.pid, comm, -1, 2, missing));
    expect(tool.stdout.slice(1).filter((l) => !l.startsWith(`${String(run.pid).padEnd(6)} ${comm.padEnd(16)} `))).to.deep.equal([]);

    expect(await tool.stop('SIGINT'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('-x prints failed opens only', async () => {
    const comm = uniqueComm('osx');
    await using tool = startExample('opensnoop', ['-x', '-c', comm]);
    await tool.waitForLine(HEADER);
    const held = tool.bpfObjects();
    const run = await runAs(comm, '/bin/sh', ['-c', `true < ${present}; true < ${missing}; exit 0`]);
    await tool.waitForLine(line(run.pid, comm, -1, 2, missing));
    // The successful open came first; the ring buffer keeps order, so it would be here by now.
    expect(tool.stdout.filter((l) => l.endsWith(` ${present}`))).to.deep.equal([]);
    expect(tool.stdout.slice(1).filter((l) => !/^\d+ +\S+ +-1 +\d+ /.test(l))).to.deep.equal([]);
    expect(await tool.stop('SIGTERM'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('-p PID prints the opens of that process only', async () => {
    // A shell that opens the file once told to, so its pid is known before it opens anything.
    const target = spawn('/bin/sh', ['-c', `read go; : < ${present}`], { stdio: ['pipe', 'ignore', 'ignore'] });
    const exited = new Promise((resolve) => target.on('exit', resolve));
    try {
      await using tool = startExample('opensnoop', ['-p', String(target.pid)]);
      await tool.waitForLine(HEADER);
      const held = tool.bpfObjects();
      const other = await runAs(uniqueComm('osp'), '/bin/sh', ['-c', `true < ${missing}`]);
      expect(other.code, 'the redirection failed').to.not.equal(0);
      target.stdin!.end('go\n');
      await exited;
      await tool.waitForLine(line(target.pid!, 'sh', / +\d+/, 0, present));
      expect(tool.stdout.slice(1).filter((l) => !l.startsWith(`${String(target.pid).padEnd(6)} `))).to.deep.equal([]);
      expect(tool.stdout.filter((l) => l.includes(commOf(other.path)))).to.deep.equal([]);
      expect(await tool.stop('SIGINT'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
      expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
    } finally {
      target.kill('SIGKILL');
    }
  });

  it('-d SECONDS stops by itself with exit code 0 and leaves nothing attached', async () => {
    await using tool = startExample('opensnoop', ['-d', '1', '-c', uniqueComm('osd')]);
    await tool.waitForLine(HEADER);
    const held = tool.bpfObjects();
    expect(await tool.exited(), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(tool.stdout).to.have.length(1);
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('refuses a bad PID with exit code 2 and the usage; -h prints the usage', async () => {
    await using bad = startExample('opensnoop', ['-p', 'abc']);
    expect(await bad.exited()).to.deep.equal({ code: 2, signal: null });
    expect(bad.stderr[0]).to.equal('opensnoop: invalid PID: abc');
    await using help = startExample('opensnoop', ['-h']);
    expect(await help.exited()).to.deep.equal({ code: 0, signal: null });
    expect(help.stdout[0]).to.equal('Usage: opensnoop [-h] [-p PID] [-c COMM] [-x] [-d SECONDS]');
  });
});
