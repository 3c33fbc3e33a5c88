import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { requirePrivileges } from '../helpers/privileges.js';
import { bpfObjectsLeft, runAs, startExample, uniqueComm } from '../helpers/example-process.js';

const HEADER = 'PCOMM            PID     PPID    RET ARGS';
const NONE = { progs: [], maps: [], links: [] };

/** Tries to execute a path that does not exist (the exec fails with ENOENT; Node reports no pid then). */
async function failedExec(path: string, args: readonly string[]): Promise<void> {
  const child = spawn(path, args, { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? resolve() : reject(e)));
    child.on('spawn', () => reject(new Error(`${path} ran`)));
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('examples: execsnoop', function () {
  this.timeout(20000);

  before(function () {
    requirePrivileges(this);
  });

  it('prints bcc columns for an exec the test makes (filename, then argv[1..]) and leaves failed execs out', async () => {
    await using tool = startExample('execsnoop');
    await tool.waitForLine((l) => l === HEADER);
    const held = tool.bpfObjects();
    expect(held.progs).to.have.length(2);
    expect(held.links).to.have.length(2);

    const missing = `/nonexistent-bpfts/${uniqueComm('exf')}`;
    await failedExec(missing, ['x']);
    const comm = uniqueComm('exs');
    const run = await runAs(comm, '/bin/true', ['one', 'two words', 'three']);
    const line = await tool.waitForLine((l) => l.startsWith(`${comm} `));
    expect(line).to.equal(`${comm.padEnd(16)} ${String(run.pid).padEnd(7)} ${String(process.pid).padEnd(7)}   0 ${run.path} one two words three`);
    // Records arrive in order: the failed exec came first and was not printed.
    expect(tool.stdout.filter((l) => l.includes(missing))).to.deep.equal([]);

    expect(await tool.stop('SIGINT'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('-x shows failed execs with their error, -q quotes arguments, --max-args cuts the list with "...", -l filters by arguments', async () => {
    await using tool = startExample('execsnoop', ['-x', '-q', '--max-args', '3', '-l', '^/nonexistent-bpfts/']);
    await tool.waitForLine((l) => l === HEADER);
    const held = tool.bpfObjects();
    const missing = `/nonexistent-bpfts/${uniqueComm('exf')}`;
    await failedExec(missing, ['a "quoted" word', 'b', 'c', 'd']);
    const line = await tool.waitForLine((l) => l.includes(missing));
    expect(line).to.match(new RegExp(`^.{16} \\d+ +${escape(String(process.pid).padEnd(7))}  -2 "${escape(missing)}" "a \\\\"quoted\\\\" word" "b" "\\.\\.\\."$`));
    for (const l of tool.stdout.slice(1)) expect(l, '-l').to.include('"/nonexistent-bpfts/');
    expect(await tool.stop('SIGTERM'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('-u filters by user in the kernel, -n by command name; -T, -t and -U add their columns', async () => {
    const uid = 4242;
    await using tool = startExample('execsnoop', ['-T', '-t', '-U', '-u', String(uid), '-n', '^ex[ru]']);
    await tool.waitForLine((l) => l === `TIME     TIME(s) UID   ${HEADER}`);
    const asRoot = await runAs(uniqueComm('exr'), '/bin/true', ['root']);
    const asUser = await runAs(uniqueComm('exu'), '/bin/true', ['user'], { uid, gid: uid });
    const userComm = asUser.path.slice(asUser.path.lastIndexOf('/') + 1);
    const line = await tool.waitForLine((l) => l.includes(` ${userComm} `));
    expect(line).to.match(new RegExp(`^\\d\\d:\\d\\d:\\d\\d \\d+\\.\\d{3}\\s*${uid}  ${escape(userComm.padEnd(16))} ${asUser.pid}\\s+${process.pid}\\s+0 ${escape(asUser.path)} user$`));
    // The root process ran first and matches -n, so only -u can have dropped it.
    expect(tool.stdout.filter((l) => l.includes(asRoot.path))).to.deep.equal([]);
    // Only names matching -n are printed.
    for (const l of tool.stdout.slice(1)) expect(l.slice(23, 39)).to.match(/^ex[ru]/);
    expect(await tool.stop('SIGINT'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
  });

  it('keeps handling SIGTERM while it detaches: repeated signals (`timeout` signals the tool and its group) end it with code 0, nothing left', async () => {
    await using tool = startExample('execsnoop');
    await tool.waitForLine((l) => l === HEADER);
    const held = tool.bpfObjects();
    const comm = uniqueComm('ex2');
    await runAs(comm, '/bin/true');
    await tool.waitForLine((l) => l.startsWith(`${comm} `));
    expect(await tool.stopUnderRepeatedSignals('SIGTERM'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(tool.signalsSent, 'signals that reached it').to.be.greaterThan(1);
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('refuses a --max-args outside 1..60 with exit code 2', async () => {
    await using bad = startExample('execsnoop', ['--max-args', '61']);
    expect(await bad.exited()).to.deep.equal({ code: 2, signal: null });
    expect(bad.stderr[0]).to.equal('execsnoop: invalid MAX_ARGS: 61 (want 1..60)');
  });
});
