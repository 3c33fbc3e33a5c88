import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { expect } from 'chai';
import { requirePrivileges } from '../helpers/privileges.js';
import { bpfObjectsLeft, runAs, startExample, uniqueComm } from '../helpers/example-process.js';

const HEADER = /^PID {4}COMM {9}IP SADDR {12}DADDR {12}DPORT$/;
const NONE = { progs: [], maps: [], links: [] };

/** A node script connecting to each `[host, port]` in turn (the next once the last one settled). */
function connectScript(targets: readonly (readonly [string, number])[]): string {
  return `const net = require('net'); const targets = ${JSON.stringify(targets)};
    const next = (i) => { if (i === targets.length) return; const s = net.connect(targets[i][1], targets[i][0]);
      s.on('connect', () => { s.destroy(); next(i + 1); }); s.on('error', () => next(i + 1)); };
    next(0);`;
}

/** libbpf-tools' `%-6d %-12.12s %-2d %-16s %-16s %-4d` line. */
function line(pid: number, comm: string, ip: 4 | 6, saddr: string, daddr: string, port: number, uid?: number): string {
  const prefix = uid === undefined ? '' : String(uid).padEnd(6);
  return `${prefix}${String(pid).padEnd(6)} ${comm.slice(0, 12).padEnd(12)} ${String(ip).padEnd(2)} ${saddr.padEnd(16)} ${daddr.padEnd(16)} ${port}`;
}

function listen(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((s) => s.destroy());
    server.on('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

function portOf(server: Server): number {
  return (server.address() as { port: number }).port;
}

describe('examples: tcpconnect', function () {
  this.timeout(20000);
  let v4: Server;
  let v6: Server;

  before(async function () {
    requirePrivileges(this);
    v4 = await listen('127.0.0.1');
    v6 = await listen('::1');
  });

  after(() => {
    v4?.close();
    v6?.close();
  });

  it('prints the IPv4, IPv6 and v4-mapped connections of a process with its addresses and ports; repeated SIGINTs do not cut the exit short', async () => {
    await using tool = startExample('tcpconnect');
    await tool.waitForLine(HEADER);
    const held = tool.bpfObjects();
    expect(held.progs).to.have.length(1);
    expect(held.links).to.have.length(1);

    const comm = uniqueComm('tcc');
    const run = await runAs(comm, process.execPath, ['-e', connectScript([['127.0.0.1', portOf(v4)], ['::1', portOf(v6)], ['::ffff:127.0.0.1', portOf(v4)]])]);
    expect(run.code).to.equal(0);
    await tool.waitForLine((l) => l === line(run.pid, comm, 4, '127.0.0.1', '127.0.0.1', portOf(v4)));
    await tool.waitForLine((l) => l === line(run.pid, comm, 6, '::1', '::1', portOf(v6)));
    await tool.waitForLine((l) => l === line(run.pid, comm, 6, '::ffff:127.0.0.1', '::ffff:127.0.0.1', portOf(v4)));

    expect(await tool.stopUnderRepeatedSignals('SIGINT'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(tool.signalsSent, 'signals that reached it').to.be.greaterThan(1);
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('-P keeps the listed destination ports only; -U adds the UID', async () => {
    await using tool = startExample('tcpconnect', ['-U', '-P', `${portOf(v6)},9`]);
    await tool.waitForLine(/^UID {3}PID {4}COMM/);
    const held = tool.bpfObjects();
    const comm = uniqueComm('tcP');
    // The v4 port first: the ring buffer keeps order, so it would be printed before the v6 one.
    const run = await runAs(comm, process.execPath, ['-e', connectScript([['127.0.0.1', portOf(v4)], ['::1', portOf(v6)]])]);
    await tool.waitForLine((l) => l === line(run.pid, comm, 6, '::1', '::1', portOf(v6), process.getuid!()));
    expect(tool.stdout.filter((l) => l.endsWith(` ${portOf(v4)}`))).to.deep.equal([]);
    expect(await tool.stop('SIGTERM'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('-p PID keeps the connections of that process only', async () => {
    const target = spawn(process.execPath, ['-e', `process.stdin.once('data', () => { ${connectScript([['127.0.0.1', portOf(v4)]])} })`], { stdio: ['pipe', 'ignore', 'inherit'] });
    const exited = new Promise((resolve) => target.on('exit', resolve));
    try {
      await using tool = startExample('tcpconnect', ['-p', String(target.pid)]);
      await tool.waitForLine(HEADER);
      const held = tool.bpfObjects();
      const other = await runAs(uniqueComm('tco'), process.execPath, ['-e', connectScript([['127.0.0.1', portOf(v4)]])]);
      expect(other.code).to.equal(0);
      target.stdin!.end('go\n');
      await exited;
      await tool.waitForLine((l) => l.startsWith(`${String(target.pid).padEnd(6)} node `) && l.endsWith(` ${portOf(v4)}`));
      expect(tool.stdout.slice(1).filter((l) => !l.startsWith(`${String(target.pid).padEnd(6)} `))).to.deep.equal([]);
      expect(await tool.stop('SIGINT'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
      expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
    } finally {
      target.kill('SIGKILL');
    }
  });

  it('refuses a bad port with exit code 2 and the usage', async () => {
    await using bad = startExample('tcpconnect', ['-P', '80,x']);
    expect(await bad.exited()).to.deep.equal({ code: 2, signal: null });
    expect(bad.stderr[0]).to.equal('tcpconnect: invalid port: x');
    expect(bad.stderr).to.include('Usage: tcpconnect [-h] [-U] [-p PID] [-P PORT[,PORT...]]');
  });
});
