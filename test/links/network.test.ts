import { expect } from 'chai';
import { createSocket, type Socket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import type { BpfObject } from '../../src/loader/index.js';
import {
  attach,
  attachNetfilter,
  attachNetns,
  attachSocketFilter,
  attachSockmap,
  Link,
  attachTc,
  attachTcx,
  attachXdp,
  destroyTcHook,
  LinkError,
  NfInetHook,
  NfProto,
  socketFd,
  XdpFlag,
} from '../../src/links/index.js';
import { AttachType, LinkType, linkGetFdById, native, NotSupportedError, ObjectNotFoundError } from '../../src/sys/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { kernelAtLeast } from '../helpers/kernel.js';
import { count, loadCounters, program, Slot, closeCheckingLinks } from './fixture.js';
import { createVethPair, type VethPair } from './netns-fixture.js';
import { execFileSync } from 'node:child_process';
import { runCli } from '../helpers/cli.js';

/** Binds a UDP socket on loopback and returns it with its port. */
async function udpSocket(): Promise<{ socket: Socket; port: number }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port };
}

/** Sends `n` datagrams to 127.0.0.1:`port` and waits until they are sent. */
async function sendLoopback(n: number, port: number): Promise<void> {
  const s = createSocket('udp4');
  for (let i = 0; i < n; i++) await new Promise<void>((resolve, reject) => s.send('ping', port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  await new Promise<void>((resolve) => s.close(resolve));
}

/** A socket that is not bound has no fd yet. */
function unboundFdError(): unknown {
  const s = createSocket('udp4');
  try {
    socketFd(s);
  } catch (e) {
    return e;
  } finally {
    s.close();
  }
  return undefined;
}

/** Sends `n` datagrams from this namespace to `ip`:9. */
async function sendTo(ip: string, n: number): Promise<void> {
  const s = createSocket('udp4');
  for (let i = 0; i < n; i++) await new Promise<void>((resolve, reject) => s.send('x', 9, ip, (e) => (e ? reject(e) : resolve())));
  await new Promise<void>((resolve) => s.close(resolve));
}

/** Receives `n` datagrams on `socket` (or times out). */
function receive(socket: Socket, n: number, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve) => {
    let got = 0;
    const timer = setTimeout(() => resolve(got), timeoutMs);
    socket.on('message', () => {
      if (++got === n) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

describe('links: xdp and tcx on a veth pair', function () {
  let obj: BpfObject;
  let veth: VethPair;

  before(async function () {
    requirePrivileges(this);
    obj = await loadCounters(['xdp_count', 'xdp_count_second', 'tcx_ingress_count', 'tcx_egress_count']);
    veth = createVethPair();
  });
  after(() => {
    try {
      veth?.remove();
    } finally {
      closeCheckingLinks(obj);
    }
  });

  it('xdp link counts packets from the namespace; update() swaps the program; detach() stops it', function () {
    const first = count(obj, Slot.XDP);
    const second = count(obj, Slot.XDP_SECOND);
    const link = attachXdp(program(obj, 'xdp_count'), { interface: veth.host });
    let id: number;
    try {
      expect(link.target).to.match(new RegExp(`^${veth.host} \\(ifindex \\d+\\)$`));
      const info = link.info();
      id = info.id;
      expect(info.type).to.equal(LinkType.XDP);
      expect(info.details).to.deep.equal({ kind: 'xdp', ifindex: native().ifNameToIndex(veth.host) });
      veth.sendFromPeer(10);
      expect(count(obj, Slot.XDP) - first >= 10n).to.equal(true);

      link.update(program(obj, 'xdp_count_second'), program(obj, 'xdp_count'));
      const atSwap = count(obj, Slot.XDP);
      veth.sendFromPeer(10);
      expect(count(obj, Slot.XDP)).to.equal(atSwap);
      expect(count(obj, Slot.XDP_SECOND) - second >= 10n).to.equal(true);

      // BPF_F_REPLACE with the wrong expected program: the kernel refuses (EPERM).
      expect(() => link.update(program(obj, 'xdp_count'), program(obj, 'xdp_count'))).to.throw(LinkError, /update to program 'xdp_count' failed: BPF_LINK_UPDATE failed \(EPERM\)/);

      link.detach();
      const atDetach = count(obj, Slot.XDP_SECOND);
      veth.sendFromPeer(5);
      expect(count(obj, Slot.XDP_SECOND)).to.equal(atDetach);
    } finally {
      link.close();
    }
    expect(() => linkGetFdById(id)).to.throw(ObjectNotFoundError);
  });

  it('a second xdp link on the same device is a LinkError (EBUSY); an unknown device is a LinkError', function () {
    using _link = attachXdp(program(obj, 'xdp_count'), { interface: veth.host, flags: XdpFlag.SKB_MODE });
    expect(() => attachXdp(program(obj, 'xdp_count_second'), { interface: veth.host, flags: XdpFlag.SKB_MODE })).to.throw(
      LinkError,
      new RegExp(`^program 'xdp_count_second' -> xdp ${veth.host} \\(ifindex \\d+\\): attach failed: BPF_LINK_CREATE failed \\(EBUSY\\)`),
    );
    expect(() => attachXdp(program(obj, 'xdp_count'), { interface: 'nosuchdev0' })).to.throw(LinkError, "program 'xdp_count' -> interface nosuchdev0: no network device 'nosuchdev0' in this network namespace");
  });

  it('tcx before Linux 6.6 is a NotSupportedError naming tcx (the kernel has no tcx attach types)', function () {
    if (kernelAtLeast(6, 6)) this.skip(); // tcx exists here: the tests below attach it
    let caught: unknown;
    try {
      attachTcx(program(obj, 'tcx_ingress_count'), { interface: veth.host, direction: 'ingress' }).close();
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(NotSupportedError);
    expect((caught as NotSupportedError).feature).to.equal('tcx');
    expect((caught as Error).message).to.match(
      new RegExp(`^program 'tcx_ingress_count' -> tcx ${veth.host} \\(ifindex \\d+\\) ingress: the kernel has no tcx links \\(tcx_ingress needs Linux 6\\.6\\+\\); use attachTc \\(a cls_bpf filter under the clsact qdisc\\) there$`),
    );
    expect(() => attach(program(obj, 'tcx_egress_count'), { device: { interface: veth.host } })).to.throw(NotSupportedError, 'tcx_egress needs Linux 6.6+');
  });

  it('tcx ingress and egress links count packets in both directions, attached through attach() from the SEC attach type', async function () {
    if (!kernelAtLeast(6, 6)) this.skip(); // no tcx before 6.6: the NotSupportedError test above
    const inBefore = count(obj, Slot.TCX);
    const outBefore = count(obj, Slot.TCX_EGRESS);
    {
      using ingress = attach(program(obj, 'tcx_ingress_count'), { device: { interface: veth.host } });
      using egress = attachTcx(program(obj, 'tcx_egress_count'), { interface: veth.host, direction: 'egress' });
      const info = egress.info();
      expect(info.details).to.deep.include({ kind: 'tcx', attachType: AttachType.TCX_EGRESS });
      expect((ingress as { kind: string }).kind).to.equal('tcx');
      veth.sendFromPeer(10);
      await sendTo(veth.peerIp, 10);
    }
    expect(count(obj, Slot.TCX) - inBefore >= 10n).to.equal(true);
    expect(count(obj, Slot.TCX_EGRESS) - outBefore >= 10n).to.equal(true);
    const after = count(obj, Slot.TCX);
    veth.sendFromPeer(3);
    expect(count(obj, Slot.TCX)).to.equal(after, 'closed links no longer run');
  });

  it('tcx with a stale expectedRevision is refused (ESTALE); anchoring on a program that is not attached is refused', function () {
    if (!kernelAtLeast(6, 6)) this.skip(); // no tcx before 6.6
    using _first = attachTcx(program(obj, 'tcx_ingress_count'), { interface: veth.host, direction: 'ingress' });
    expect(() => attachTcx(program(obj, 'tcx_egress_count'), { interface: veth.host, direction: 'ingress', expectedRevision: 1n })).to.throw(LinkError, /attach failed: BPF_LINK_CREATE failed \(ESTALE\)/);
    expect(() => attachTcx(program(obj, 'tcx_egress_count'), { interface: veth.host, direction: 'ingress', anchor: { position: 'after', program: program(obj, 'xdp_count') } })).to.throw(LinkError, /attach failed: BPF_LINK_CREATE failed \(E[A-Z]+\)/);
  });

  it('tcx ordering: a program placed before another with an anchor runs on the same hook', function () {
    if (!kernelAtLeast(6, 6)) this.skip(); // no tcx before 6.6
    const before = count(obj, Slot.TCX);
    const beforeOut = count(obj, Slot.TCX_EGRESS);
    using last = attachTcx(program(obj, 'tcx_ingress_count'), { interface: veth.host, direction: 'ingress' });
    // The egress-counting program also works on ingress (same type); put it first via the link anchor.
    using _first = attachTcx(program(obj, 'tcx_egress_count'), { interface: veth.host, direction: 'ingress', anchor: { position: 'before', link: last } });
    veth.sendFromPeer(5);
    expect(count(obj, Slot.TCX) - before >= 5n).to.equal(true);
    expect(count(obj, Slot.TCX_EGRESS) - beforeOut >= 5n).to.equal(true);
  });
});

/** `tc filter show dev DEV ingress|egress`, trimmed (empty when no filter is left). */
function tcFilters(dev: string, direction: 'ingress' | 'egress'): string {
  return execFileSync('tc', ['filter', 'show', 'dev', dev, direction], { encoding: 'utf8' }).trim();
}

function tcQdiscs(dev: string): string {
  return execFileSync('tc', ['qdisc', 'show', 'dev', dev], { encoding: 'utf8' });
}

describe('links: classic tc (cls_bpf under clsact, the tcx fallback) on a veth pair', function () {
  let obj: BpfObject;
  let veth: VethPair;

  before(async function () {
    requirePrivileges(this);
    obj = await loadCounters(['tcx_ingress_count', 'tcx_egress_count']);
    veth = createVethPair();
  });
  after(() => {
    try {
      veth?.remove();
    } finally {
      closeCheckingLinks(obj);
    }
  });

  it('ingress and egress filters count packets; close() removes each filter; destroyHookOnClose removes the clsact it created', async function () {
    const inBefore = count(obj, Slot.TCX);
    const outBefore = count(obj, Slot.TCX_EGRESS);
    expect(tcQdiscs(veth.host)).to.not.include('clsact');
    {
      using ingress = attachTc(program(obj, 'tcx_ingress_count'), { interface: veth.host, direction: 'ingress', priority: 7, handle: 3, destroyHookOnClose: true });
      using egress = attachTc(program(obj, 'tcx_egress_count'), { interface: veth.host, direction: 'egress' });
      expect(ingress.createdHook).to.equal(true);
      expect(egress.createdHook).to.equal(false);
      expect([ingress.priority, ingress.handle]).to.deep.equal([7, 3]);
      // The kernel picked the egress filter's priority and handle.
      expect(egress.priority).to.be.within(1, 0xffff);
      expect(egress.handle).to.be.greaterThan(0);
      expect(ingress.programId).to.equal(obj.program('tcx_ingress_count')!.info().id);
      expect(ingress.isBpfLink).to.equal(false);
      expect(() => ingress.pin('/sys/fs/bpf/never')).to.throw(NotSupportedError, /classic tc filters are netlink objects/);
      const shown = tcFilters(veth.host, 'ingress');
      expect(shown).to.match(/pref 7 bpf/);
      expect(shown).to.match(/handle 0x3 tcx_ingress_cou.*direct-action/);
      expect(tcFilters(veth.host, 'egress')).to.include('direct-action');
      // bpf-ts net show lists both filters in its tc section, as bpftool does.
      const net = await runCli(['net', 'show', 'dev', veth.host]);
      const theirs = execFileSync('bpftool', ['net', 'show', 'dev', veth.host], { encoding: 'utf8' });
      // Up to flow_dissector, as bpftool 7.1 prints it (our netfilter section is 7.3+'s).
      const upToFlowDissector = (t: string): string => t.slice(0, t.indexOf('flow_dissector:'));
      expect(upToFlowDissector(net.out)).to.equal(upToFlowDissector(theirs));
      expect(net.out).to.match(new RegExp(`^${veth.host}\\(\\d+\\) clsact/ingress tcx_ingress_cou:\\[${ingress.programId}\\] id ${ingress.programId}$`, 'm'));
      expect(net.out).to.match(new RegExp(`^${veth.host}\\(\\d+\\) clsact/egress tcx_egress_coun:\\[${egress.programId}\\] id ${egress.programId}$`, 'm'));
      veth.sendFromPeer(10);
      await sendTo(veth.peerIp, 10);
      expect(count(obj, Slot.TCX) - inBefore >= 10n, 'ingress filter ran').to.equal(true);
      expect(count(obj, Slot.TCX_EGRESS) - outBefore >= 10n, 'egress filter ran').to.equal(true);
      egress.close();
      expect(tcFilters(veth.host, 'egress')).to.equal('');
      expect(tcFilters(veth.host, 'ingress')).to.not.equal('');
    }
    expect(tcQdiscs(veth.host)).to.not.include('clsact');
    const after = count(obj, Slot.TCX);
    veth.sendFromPeer(3);
    expect(count(obj, Slot.TCX)).to.equal(after, 'removed filters no longer run');
  });

  it('leaves a clsact qdisc it did not create (and by default one it did); replace swaps the program of a filter', function () {
    execFileSync('tc', ['qdisc', 'add', 'dev', veth.host, 'clsact']);
    try {
      {
        using first = attachTc(program(obj, 'tcx_ingress_count'), { interface: veth.host, direction: 'ingress', priority: 1, handle: 1, destroyHookOnClose: true });
        expect(first.createdHook).to.equal(false);
        expect(() => attachTc(program(obj, 'tcx_egress_count'), { interface: veth.host, direction: 'ingress', priority: 1, handle: 1 })).to.throw(LinkError, /RTM_NEWTFILTER failed \(EEXIST: File exists\)/);
        using second = attachTc(program(obj, 'tcx_egress_count'), { interface: veth.host, direction: 'ingress', priority: 1, handle: 1, replace: true });
        expect(second.programId).to.equal(obj.program('tcx_egress_count')!.info().id);
        expect(tcFilters(veth.host, 'ingress')).to.include('tcx_egress_coun');
        second.close();
        expect(tcFilters(veth.host, 'ingress')).to.equal('');
        // The first link's filter was replaced and then deleted: its close() reports that.
        expect(() => first.close()).to.throw(LinkError, /RTM_DELTFILTER failed \(ENOENT/);
      }
      expect(tcQdiscs(veth.host)).to.include('clsact');
      {
        using _made = attachTc(program(obj, 'tcx_ingress_count'), { interface: veth.host, direction: 'ingress' });
      }
      expect(tcQdiscs(veth.host)).to.include('clsact');
    } finally {
      destroyTcHook({ interface: veth.host });
    }
    expect(tcQdiscs(veth.host)).to.not.include('clsact');
  });

  it('an unknown device, a bad priority or handle, and a missing hook are LinkErrors', function () {
    const p = program(obj, 'tcx_ingress_count');
    expect(() => attachTc(p, { interface: 'bpfts-nodev0', direction: 'ingress' })).to.throw(LinkError, "program 'tcx_ingress_count' -> interface bpfts-nodev0: no network device 'bpfts-nodev0' in this network namespace");
    expect(() => attachTc(p, { ifindex: 0x7ffffff0, direction: 'ingress' })).to.throw(LinkError, /^program 'tcx_ingress_count' -> tc ifindex 2147483632 ingress: RTM_NEWQDISC clsact failed \(ENODEV: No such device\)$/);
    for (const priority of [0, 65536, 1.5]) {
      expect(() => attachTc(p, { interface: veth.host, direction: 'ingress', priority }))
        .to.throw(LinkError, `program 'tcx_ingress_count' -> tc ${veth.host} (ifindex ${native().ifNameToIndex(veth.host)}) ingress: priority ${priority} is outside 1..65535`)
        .with.property('target', `tc ${veth.host} (ifindex ${native().ifNameToIndex(veth.host)}) ingress`);
    }
    expect(() => attachTc(p, { interface: veth.host, direction: 'egress', handle: 0 })).to.throw(LinkError, 'handle 0 is outside 1..4294967295');
    expect(() => destroyTcHook({ interface: veth.host })).to.throw(LinkError, /RTM_DELQDISC clsact failed \((EINVAL|ENOENT)/);
    expect(tcQdiscs(veth.host)).to.not.include('clsact');
  });
});

describe('links: socket filter, sk_lookup, netfilter, sockmap (loopback)', function () {
  let obj: BpfObject;

  before(async function () {
    requirePrivileges(this);
    obj = await loadCounters(['socket_count', 'sk_lookup_count', 'sk_msg_count']);
  });

  it('sk_msg sockmap link counts the sends of a TCP socket in the sockmap', async function () {
    if (!kernelAtLeast(6, 10)) {
      // sockmap links are Linux 6.10+: before, the kernel's bpf_link_type has no SOCKMAP.
      expect(() => attach(program(obj, 'sk_msg_count'), { sockmapFd: obj.map('socks')!.fd.fd }))
        .to.throw(NotSupportedError, /^program 'sk_msg_count' -> sockmap fd \d+ sk_msg_verdict: the kernel has no sockmap links \(Linux 6\.10\+\); attach with BPF_PROG_ATTACH there$/)
        .with.property('feature', 'sockmap link');
      return;
    }
    const server = createServer((c) => c.resume());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const client = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    try {
      const socks = obj.map('socks')!;
      const before = count(obj, Slot.SK_MSG);
      using link = attach(program(obj, 'sk_msg_count'), { sockmapFd: socks.fd.fd }) as Link;
      expect(link.info().details).to.deep.include({ kind: 'sockmap', attachType: AttachType.SK_MSG_VERDICT, mapId: socks.info().id });
      const key = new Uint8Array(4);
      const value = new Uint8Array(4);
      new DataView(value.buffer).setUint32(0, socketFd(client), true);
      socks.update(key, value);
      for (let i = 0; i < 5; i++) await new Promise<void>((resolve, reject) => client.write('hello', (e) => (e ? reject(e) : resolve())));
      expect(count(obj, Slot.SK_MSG) - before >= 5n).to.equal(true);
      socks.delete(key);
    } finally {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(() => attachSockmap({ fd: program(obj, 'sk_msg_count').fd, name: 'anon' }, { mapFd: obj.map('socks')!.fd.fd })).to.throw(
      LinkError,
      /^program 'anon' -> sockmap fd \d+: no sockmap attach type: pass attachType/,
    );
  });
  after(() => closeCheckingLinks(obj));

  it('SO_ATTACH_BPF socket filter counts the datagrams the socket receives; close() detaches it', async function () {
    const { socket, port } = await udpSocket();
    try {
      const before = count(obj, Slot.SOCKET);
      const link = attachSocketFilter(program(obj, 'socket_count'), socketFd(socket));
      const got = receive(socket, 5);
      await sendLoopback(5, port);
      expect(await got).to.equal(5);
      expect(count(obj, Slot.SOCKET) - before).to.equal(5n);
      expect(() => link.pin('/sys/fs/bpf/x')).to.throw(NotSupportedError, 'socket filters are attached with setsockopt(SO_ATTACH_BPF)');
      link.close();
      const got2 = receive(socket, 3);
      await sendLoopback(3, port);
      expect(await got2).to.equal(3);
      expect(count(obj, Slot.SOCKET) - before).to.equal(5n);
    } finally {
      socket.close();
    }
  });

  it('socketFd() of an unbound socket is a LinkError', function () {
    const e = unboundFdError();
    expect(e).to.be.instanceOf(LinkError);
    expect((e as Error).message).to.equal('socket: socket has no file descriptor yet (bind or connect it first)');
  });

  it('SO_ATTACH_BPF on something that is not a socket is a LinkError with the errno', function () {
    expect(() => attachSocketFilter(program(obj, 'socket_count'), 0)).to.throw(LinkError, /^program 'socket_count' -> socket fd 0: attach failed: setsockopt\(SO_ATTACH_BPF\) on fd 0 failed \(ENOTSOCK\)/);
  });

  it('sk_lookup netns link runs for each UDP socket lookup in this namespace', async function () {
    const { socket, port } = await udpSocket();
    try {
      const before = count(obj, Slot.SK_LOOKUP);
      {
        using link = attachNetns(program(obj, 'sk_lookup_count'));
        expect(link.info().details).to.deep.include({ kind: 'netns', attachType: AttachType.SK_LOOKUP });
        link.update(program(obj, 'sk_lookup_count'));
        const got = receive(socket, 4);
        await sendLoopback(4, port);
        expect(await got).to.equal(4);
      }
      expect(count(obj, Slot.SK_LOOKUP) - before >= 4n).to.equal(true);
    } finally {
      socket.close();
    }
  });

  it('netfilter programs before Linux 6.4 are a NotSupportedError naming the program type', async function () {
    if (kernelAtLeast(6, 4)) this.skip(); // netfilter programs exist here: the next test attaches one
    let caught: unknown;
    try {
      (await loadCounters(['netfilter_count'])).close();
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(NotSupportedError);
    expect((caught as NotSupportedError).feature).to.equal('program type netfilter');
    expect((caught as Error).message).to.match(/program 'netfilter_count': the kernel has no netfilter programs \(BPF_PROG_LOAD failed with EINVAL, and so does the smallest netfilter program\)$/);
  });

  it('netfilter link at IPv4 LOCAL_IN sees loopback datagrams; a bad priority is a LinkError', async function () {
    if (!kernelAtLeast(6, 4)) this.skip(); // no netfilter programs before 6.4: the test above
    using nf = await loadCounters(['netfilter_count']);
    const { socket, port } = await udpSocket();
    try {
      const before = count(nf, Slot.NETFILTER);
      {
        using link = attachNetfilter(program(nf, 'netfilter_count'), { pf: NfProto.IPV4, hooknum: NfInetHook.LOCAL_IN, priority: -128 });
        expect(link.info().details).to.deep.include({ kind: 'netfilter', pf: 2, hooknum: 1, priority: -128 });
        const got = receive(socket, 4);
        await sendLoopback(4, port);
        expect(await got).to.equal(4);
      }
      expect(count(nf, Slot.NETFILTER) - before >= 4n).to.equal(true);
      expect(() => attachNetfilter(program(nf, 'netfilter_count'), { pf: NfProto.IPV4, hooknum: NfInetHook.LOCAL_IN, priority: -2147483648 })).to.throw(
        LinkError,
        /^program 'netfilter_count' -> netfilter pf 2 hook 1 prio -2147483648: attach failed: BPF_LINK_CREATE failed \(ERANGE\)/,
      );
    } finally {
      socket.close();
    }
  });
});
