import { expect } from 'chai';
import { requirePrivileges } from '../helpers/privileges.js';
import { bpfObjectsLeft, runAs, startExample, uniqueComm } from '../helpers/example-process.js';

const HEADER = /^TIME {5}EVENT COMM {13}PID {5}PPID {4}FILENAME\/EXIT CODE$/;
const NONE = { progs: [], maps: [], links: [] };

/** bootstrap.c's `%-8s %-5s %-16s %-7d %-7d ` prefix of a line, after the time. */
function columns(event: 'EXEC' | 'EXIT', comm: string, pid: number, ppid: number): string {
  return ` ${event.padEnd(5)} ${comm.padEnd(16)} ${String(pid).padEnd(7)} ${String(ppid).padEnd(7)} `;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('examples: bootstrap', function () {
  this.timeout(20000);

  before(function () {
    requirePrivileges(this);
  });

  it('prints the exec and the exit (code, lifetime) of a process the test runs, and detaches on SIGINT', async () => {
    await using tool = startExample('bootstrap');
    await tool.waitForLine(HEADER);
    const held = tool.bpfObjects();
    expect(held.progs, 'handle_exec and handle_exit').to.have.length(2);
    expect(held.links).to.have.length(2);

    const comm = uniqueComm('bst');
    const run = await runAs(comm, '/bin/sh', ['-c', 'sleep 0.2; exit 7']);
    expect(run.code).to.equal(7);
    const exec = await tool.waitForLine((l) => l.includes(` ${comm} `) && l.includes(' EXEC '));
    expect(exec).to.match(new RegExp(`^\\d\\d:\\d\\d:\\d\\d${escape(columns('EXEC', comm, run.pid, process.pid))}${escape(run.path)}$`));
    const exit = await tool.waitForLine((l) => l.includes(` ${comm} `) && l.includes(' EXIT '));
    const m = new RegExp(`^\\d\\d:\\d\\d:\\d\\d${escape(columns('EXIT', comm, run.pid, process.pid))}\\[7\\] \\((\\d+)ms\\)$`).exec(exit);
    expect(m, exit).to.not.equal(null);
    // It slept 200 ms between exec and exit.
    expect(Number(m![1])).to.be.at.least(200);

    const end = await tool.stop('SIGINT');
    expect(end, tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('with -d reports no execs and only the exits of processes that lived that long; SIGTERM ends it cleanly', async () => {
    await using tool = startExample('bootstrap', ['-d', '300']);
    await tool.waitForLine(HEADER);
    const held = tool.bpfObjects();
    const quick = await runAs(uniqueComm('bsq'), '/bin/sh', ['-c', 'exit 3']);
    const slow = await runAs(uniqueComm('bss'), '/bin/sh', ['-c', 'sleep 0.4; exit 5']);
    const comm = slow.path.slice(slow.path.lastIndexOf('/') + 1);
    const exit = await tool.waitForLine((l) => l.includes(` ${comm} `));
    expect(exit).to.match(new RegExp(`^\\d\\d:\\d\\d:\\d\\d${escape(columns('EXIT', comm, slow.pid, process.pid))}\\[5\\] \\(\\d+ms\\)$`));
    // The ring buffer is ordered: the quick process exited before the slow one did.
    const quickComm = quick.path.slice(quick.path.lastIndexOf('/') + 1);
    expect(tool.stdout.filter((l) => l.includes(quickComm))).to.deep.equal([]);
    expect(tool.stdout.filter((l) => / EXEC /.test(l))).to.deep.equal([]);

    expect(await tool.stop('SIGTERM'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('keeps handling SIGINT while it detaches: repeated signals (a process group\'s, Ctrl-C twice) end it with code 0, nothing left', async () => {
    await using tool = startExample('bootstrap');
    await tool.waitForLine(HEADER);
    const held = tool.bpfObjects();
    const comm = uniqueComm('bs2');
    await runAs(comm, '/bin/true');
    await tool.waitForLine((l) => l.includes(` ${comm} `) && l.includes(' EXIT '));
    expect(await tool.stopUnderRepeatedSignals('SIGINT'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(tool.signalsSent, 'signals that reached it').to.be.greaterThan(1);
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('-v prints the loader log with each program id, the ones the process holds', async () => {
    await using tool = startExample('bootstrap', ['-v']);
    await tool.waitForLine(HEADER);
    await tool.waitForLine(/^libbpf: map 'rb': created successfully, fd=\d+$/, { stream: 'stderr' });
    await tool.waitForLine(/^libbpf: prog 'handle_exit': relo #\d+: .*struct task_struct\.exit_code/, { stream: 'stderr' });
    await tool.waitForLine(/^processed \d+ insns/, { stream: 'stderr' });
    const ids = await Promise.all(
      ['handle_exec', 'handle_exit'].map(async (name) => Number(/prog id (\d+)$/.exec(await tool.waitForLine(new RegExp(`^bootstrap: prog '${name}' attached to sched/sched_process_e[a-z]+, prog id \\d+$`), { stream: 'stderr' }))![1])),
    );
    const held = tool.bpfObjects();
    expect(held.progs).to.deep.equal([...ids].sort((a, b) => a - b));
    expect(await tool.stop('SIGINT'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('refuses a bad duration with exit code 2 and the usage, and -h prints the usage', async () => {
    await using bad = startExample('bootstrap', ['-d', 'abc']);
    expect(await bad.exited()).to.deep.equal({ code: 2, signal: null });
    expect(bad.stderr[0]).to.equal('bootstrap: invalid duration: abc');
    expect(bad.stderr).to.include('Usage: bootstrap [-d MIN_DURATION_MS] [-v]');
    await using help = startExample('bootstrap', ['-h']);
    expect(await help.exited()).to.deep.equal({ code: 0, signal: null });
    expect(help.stdout[0]).to.equal('Usage: bootstrap [-d MIN_DURATION_MS] [-v]');
  });
});
