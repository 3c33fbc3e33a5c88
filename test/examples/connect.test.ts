import { createServer, type Server } from 'node:net';
import { expect } from 'chai';
import { requirePrivileges } from '../helpers/privileges.js';
import { bpfObjectsLeft, runAs, startExample, uniqueComm } from '../helpers/example-process.js';

const NONE = { progs: [], maps: [], links: [] };

/** A TCP server on `host`, port chosen by the kernel. */
async function listen(host: string): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

/** Connects to `host:port` from a new process called `comm`; resolves once it has exited. */
async function connectAs(comm: string, host: string, port: number): Promise<void> {
  const script = `require('net').connect(${port}, ${JSON.stringify(host)}).on('connect', function () { this.end(); }).on('error', (e) => { console.error(e); process.exit(1); });`;
  const run = await runAs(comm, process.execPath, ['-e', script]);
  expect(run.code, `${comm} connecting to ${host}:${port}`).to.equal(0);
}

/**
 * Starts a connect to `host:port` from a new process called `comm` and exits without waiting for
 * its outcome: for destinations nothing answers (the syscall is traced on entry all the same).
 */
async function attemptConnectAs(comm: string, host: string, port: number): Promise<void> {
  const script = `require('net').connect(${port}, ${JSON.stringify(host)}).on('error', () => process.exit(0)); setTimeout(() => process.exit(0), 300);`;
  const run = await runAs(comm, process.execPath, ['-e', script]);
  expect(run.code, `${comm} connecting to ${host}:${port}`).to.equal(0);
}

describe('examples: connect', function () {
  this.timeout(20000);
  const servers: Server[] = [];

  before(function () {
    requirePrivileges(this);
  });
  after(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it("prints '>> [comm]: connect' with the IPv4 and IPv6 destination (port in host order) of connections the test makes", async () => {
    const v4 = await listen('127.0.0.1');
    const v6 = await listen('::1');
    servers.push(v4.server, v6.server);
    await using tool = startExample('connect');
    await tool.waitForLine(/^Tracing connect\(2\)\.\.\. Hit Ctrl-C to end\.$/);
    const held = tool.bpfObjects();
    expect(held.progs).to.have.length(1);
    expect(held.links).to.have.length(1);

    const comm4 = uniqueComm('cn4');
    await connectAs(comm4, '127.0.0.1', v4.port);
    await tool.waitForLine((l) => l === `>> [${comm4}]: connect '127.0.0.1:${v4.port}'`);
    const comm6 = uniqueComm('cn6');
    await connectAs(comm6, '::1', v6.port);
    await tool.waitForLine((l) => l === `>> [${comm6}]: connect '[::1]:${v6.port}'`);
    // Every line has the documented shape (other processes' connects included).
    for (const line of tool.stdout.slice(1)) expect(line).to.match(/^>> \[.*\]: connect '(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:.]+\]):\d+'$/);

    expect(await tool.stop('SIGINT'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('prints IPv6 destinations as inet_ntop does (IPv4-mapped, the first longest zero run compressed), and ends cleanly on SIGTERM', async () => {
    const v6 = await listen('::');
    servers.push(v6.server);
    await using tool = startExample('connect');
    await tool.waitForLine(/^Tracing/);
    const held = tool.bpfObjects();
    const comm = uniqueComm('cnm');
    await connectAs(comm, '::ffff:127.0.0.1', v6.port);
    await tool.waitForLine((l) => l === `>> [${comm}]: connect '[::ffff:127.0.0.1]:${v6.port}'`);
    // A documentation address: whatever becomes of the connect, it was attempted (and traced).
    const unreachable = uniqueComm('cnu');
    await attemptConnectAs(unreachable, '2001:db8:0:0:1:0:0:1', v6.port);
    await tool.waitForLine((l) => l === `>> [${unreachable}]: connect '[2001:db8::1:0:0:1]:${v6.port}'`);
    expect(await tool.stop('SIGTERM'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('keeps handling SIGINT while it detaches: repeated signals (a process group\'s, Ctrl-C twice) end it with code 0, nothing left', async () => {
    const v4 = await listen('127.0.0.1');
    servers.push(v4.server);
    await using tool = startExample('connect');
    await tool.waitForLine(/^Tracing/);
    const held = tool.bpfObjects();
    const comm = uniqueComm('cn2');
    await connectAs(comm, '127.0.0.1', v4.port);
    await tool.waitForLine((l) => l === `>> [${comm}]: connect '127.0.0.1:${v4.port}'`);
    expect(await tool.stopUnderRepeatedSignals('SIGINT'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(tool.signalsSent, 'signals that reached it').to.be.greaterThan(1);
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });
});
