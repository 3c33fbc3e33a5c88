import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { requirePrivileges } from '../helpers/privileges.js';
import { bpfObjectsLeft, startExample } from '../helpers/example-process.js';

const HEADER = /^TIME {5}PROTO {15}PACKETS {8}BYTES$/;
const NONE = { progs: [], maps: [], links: [] };
/** Ethernet + IPv4 + UDP headers and the payload below. */
const PAYLOAD = 'xdpcount-test';
const UDP_FRAME_BYTES = 14 + 20 + 8 + PAYLOAD.length;

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

/** A veth pair, `host` here and `peer` in a network namespace of its own, with IPv4 addresses. */
interface VethPair {
  readonly netns: string;
  readonly host: string;
  readonly peer: string;
  readonly hostAddress: string;
}

/**
 * Unique names and a random /30 of 198.18.0.0/15 (RFC 2544's range for network tests, routed
 * nowhere), so concurrent tests do not collide and no real route is shadowed.
 */
function createVethPair(): VethPair {
  const tag = randomBytes(4).toString('hex');
  const [b1, b2, b3] = randomBytes(3);
  const prefix = `198.${18 + (b1! & 1)}.${b2}.`;
  const last = b3! & 0xfc;
  const pair = { netns: `bpfts-xdp-${tag}`, host: `xc${tag}a`, peer: `xc${tag}b`, hostAddress: `${prefix}${last + 1}` };
  ip('netns', 'add', pair.netns);
  try {
    ip('link', 'add', pair.host, 'type', 'veth', 'peer', 'name', pair.peer, 'netns', pair.netns);
    ip('addr', 'add', `${pair.hostAddress}/30`, 'dev', pair.host);
    ip('link', 'set', pair.host, 'up');
    ip('-n', pair.netns, 'addr', 'add', `${prefix}${last + 2}/30`, 'dev', pair.peer);
    ip('-n', pair.netns, 'link', 'set', pair.peer, 'up');
  } catch (e) {
    removeVethPair(pair);
    throw e;
  }
  return pair;
}

/** Deleting the namespace deletes the peer, and with it the host end. */
function removeVethPair(pair: VethPair): void {
  execFileSync('ip', ['netns', 'del', pair.netns], { stdio: 'ignore' });
  try {
    execFileSync('ip', ['link', 'del', pair.host], { stdio: 'ignore' });
  } catch {
    // Already gone with its peer.
  }
}

/** Sends `count` UDP datagrams from inside the namespace to the host end. */
function sendUdp(pair: VethPair, count: number): void {
  const script = `const s = require('dgram').createSocket('udp4'); let n = 0;
    const next = () => s.send(${JSON.stringify(PAYLOAD)}, 9, ${JSON.stringify(pair.hostAddress)}, (e) => { if (e) throw e; if (++n < ${count}) next(); else s.close(); });
    next();`;
  execFileSync('ip', ['netns', 'exec', pair.netns, process.execPath, '-e', script], { stdio: 'inherit' });
}

/** `[packets, bytes]` of a `TIME PROTO PACKETS BYTES` row for UDP. */
function udpRow(line: string, time: RegExp): [number, number] | undefined {
  const m = new RegExp(`^${time.source} +UDP \\(17\\) +(\\d+) +(\\d+)$`).exec(line);
  return m === null ? undefined : [Number(m[1]), Number(m[2])];
}

describe('examples: xdpcount', function () {
  this.timeout(20000);
  let pair: VethPair | undefined;

  before(function () {
    requirePrivileges(this);
  });

  beforeEach(() => {
    pair = createVethPair();
  });

  afterEach(() => {
    if (pair !== undefined) removeVethPair(pair);
    pair = undefined;
  });

  it('counts the UDP packets sent across a veth pair, per interval and in total, and detaches on SIGINT', async () => {
    const p = pair!;
    await using tool = startExample('xdpcount', ['-i', p.host, '1']);
    await tool.waitForLine(HEADER);
    const held = tool.bpfObjects();
    expect(held.progs).to.have.length(1);
    expect(held.links).to.have.length(1);
    expect(ip('link', 'show', p.host)).to.include(`prog/xdp id ${held.progs[0]} `);

    sendUdp(p, 7);
    const clock = /\d\d:\d\d:\d\d/;
    // The packets may straddle two intervals: wait until the rows add up.
    const seen = (): [number, number] =>
      tool.stdout.map((l) => udpRow(l, clock)).reduce<[number, number]>((sum, r) => (r === undefined ? sum : [sum[0] + r[0], sum[1] + r[1]]), [0, 0]);
    await tool.waitForLine(() => seen()[0] >= 7, { timeoutMs: 5000 });
    expect(seen()).to.deep.equal([7, 7 * UDP_FRAME_BYTES]);

    expect(await tool.stop('SIGINT'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    const total = tool.stdout.map((l) => udpRow(l, /TOTAL/)).filter((r) => r !== undefined);
    expect(total).to.deep.equal([[7, 7 * UDP_FRAME_BYTES]]);
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
    expect(ip('link', 'show', p.host)).to.not.include('prog/xdp');
  });

  it('-S attaches in generic (skb) mode; SIGTERM ends it cleanly', async () => {
    const p = pair!;
    await using tool = startExample('xdpcount', ['-S', '-i', p.host, '1']);
    await tool.waitForLine(HEADER);
    const held = tool.bpfObjects();
    expect(ip('link', 'show', p.host)).to.include(`prog/xdp id ${held.progs[0]} `).and.to.include('xdpgeneric');
    sendUdp(p, 3);
    await tool.waitForLine((l) => udpRow(l, /\d\d:\d\d:\d\d/) !== undefined);
    expect(await tool.stop('SIGTERM'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(tool.stdout.map((l) => udpRow(l, /TOTAL/)).filter((r) => r !== undefined)).to.deep.equal([[3, 3 * UDP_FRAME_BYTES]]);
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
    expect(ip('link', 'show', p.host)).to.not.include('prog/xdp');
  });

  it('refuses a missing -i and an unknown device', async () => {
    await using none = startExample('xdpcount', []);
    expect(await none.exited()).to.deep.equal({ code: 2, signal: null });
    expect(none.stderr[0]).to.equal('xdpcount: -i IFACE is required');
    await using unknown = startExample('xdpcount', ['-i', 'bpfts-nodev0']);
    expect(await unknown.exited()).to.deep.equal({ code: 1, signal: null });
    expect(unknown.stderr).to.deep.equal(["xdpcount: program 'xdp_count' -> interface bpfts-nodev0: no network device 'bpfts-nodev0' in this network namespace"]);
  });
});
