import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AttachType, AttrWriter, BpfCmd, bpfSyscall, objGet, objPin, OwnedFd } from '../../src/sys/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { kernelAtLeast } from '../helpers/kernel.js';
import { BPFTOOL, bpftool, bpftoolRun, cgroupSkbLink, jsonRecords, netdevLink, perfEventLink, plainRecords, rawTracepointOpen, runCli, ShowFixture, VethPair } from '../sys/show-fixture.js';

/**
 * `bpf-ts link show` against bpftool for the link types this kernel lets us create in a test
 * (raw_tracepoint, cgroup). Newer bpftool prints a raw tracepoint's `cookie` in JSON; the
 * installed 7.1 does not, so that one field is allowed to be extra.
 */
describe('cli: link show agrees with bpftool (kernel)', function () {
  let fx: ShowFixture;
  let rawTp: OwnedFd;
  let cg: ReturnType<typeof cgroupSkbLink>;
  const progFds: OwnedFd[] = [];
  let rawTpId: number;
  let cgId: number;

  before(async function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
    fx = ShowFixture.load('clilink');
    const tpProg = objGet(fx.path('show_raw_tp'));
    const cgProg = objGet(fx.path('show_cgroup_skb'));
    progFds.push(tpProg, cgProg);
    rawTp = rawTracepointOpen(tpProg, 'sys_enter');
    cg = cgroupSkbLink(cgProg);
    // Pinned, so -f has something to print and the links outlive a closed fd.
    objPin(rawTp, join(fx.dir, 'link_raw_tp'));
    for (const fd of progFds) fd.close();
    const ids = jsonRecords(bpftoolRun(['-j', 'link', 'show']).out);
    rawTpId = [...ids.values()].find((l) => l['prog_id'] === fx.progId('show_raw_tp'))?.['id'] as number;
    cgId = [...ids.values()].find((l) => l['prog_id'] === fx.progId('show_cgroup_skb'))?.['id'] as number;
    expect(rawTpId).to.be.a('number');
    expect(cgId).to.be.a('number');
  });

  after(() => {
    rawTp?.close();
    cg?.close();
    fx?.remove();
  });

  for (const flags of [[], ['-f']]) {
    it(`link show ${flags.join(' ')}: same plain text as bpftool`, async () => {
      const ours = await runCli([...flags, 'link', 'show']);
      const ref = bpftoolRun([...flags, 'link', 'show']);
      expect(ours.code).to.equal(0);
      const mine = plainRecords(ours.out);
      const theirs = plainRecords(ref.out);
      for (const id of [rawTpId, cgId]) expect(mine.get(id), `link ${id}`).to.equal(theirs.get(id));
      expect(mine.get(rawTpId)).to.equal(
        `${rawTpId}: raw_tracepoint  prog ${fx.progId('show_raw_tp')}  \n\ttp 'sys_enter'  ${flags.length > 0 ? `\n\tpinned ${join(fx.dir, 'link_raw_tp')}` : ''}\n`,
      );
    });

    it(`-j link show ${flags.join(' ')}: bpftool's fields and values`, async () => {
      const ours = jsonRecords((await runCli(['-j', ...flags, 'link', 'show'])).out);
      const ref = jsonRecords(bpftoolRun(['-j', ...flags, 'link', 'show']).out);
      const { cookie, ...rawTpOurs } = ours.get(rawTpId) ?? {};
      expect(cookie).to.equal(0);
      expect(rawTpOurs).to.deep.equal(ref.get(rawTpId));
      expect(ours.get(cgId)).to.deep.equal(ref.get(cgId));
      expect(ours.get(cgId)?.['cgroup_id']).to.equal(statSync(cg.cgroup).ino);
    });
  }

  it('shows one link by id and by pinned path, byte-identical to bpftool but for pids', async () => {
    // This process holds both links, so bpf-ts names it; the installed bpftool (built without
    // skeletons) never prints pids.
    const me = `${readFileSync('/proc/self/comm', 'utf8').trim()}(${process.pid})`;
    for (const args of [
      ['link', 'show', 'id', String(cgId)],
      ['link', 'show', 'pinned', join(fx.dir, 'link_raw_tp')],
      ['-p', 'link', 'show', 'id', String(cgId)],
    ]) {
      const ours = await runCli(args);
      const ref = bpftoolRun(args);
      expect(ours.code, args.join(' ')).to.equal(ref.code);
      const pretty = args[0] === '-p';
      const pids = pretty ? `,\n    "pids": [{\n            "pid": ${process.pid},\n            "comm": "${me.split('(')[0]}"\n        }\n    ]` : `\n\tpids ${me}`;
      expect(ours.out, args.join(' ')).to.include(pids);
      expect(ours.out.replace(pids, ''), args.join(' ')).to.equal(ref.out);
    }
  });

  it('decodes a perf_event link (software event, BPF cookie) as upstream bpftool prints it', async () => {
    // bpftool 7.1 prints only the header line of perf_event links; the details follow upstream
    // bpftool's layout and are checked against what the test created.
    const prog = objGet(fx.path('show_perf_event'));
    const pe = perfEventLink(prog, 4660n);
    prog.close();
    try {
      const { getLinkInfo } = await import('../../src/sys/index.js');
      const info = getLinkInfo(pe.link);
      if (!kernelAtLeast(6, 6)) {
        // bpf_link_info.perf_event is Linux 6.6+: an older kernel says nothing about the event,
        // and only the header line (bpftool 7.1's whole output) can be compared.
        expect(info.details).to.deep.equal({ kind: 'perf_event', event: { kind: 'unspec', perfEventType: 0 } });
        const header = `${info.id}: perf_event  prog ${fx.progId('show_perf_event')}  `;
        expect((await runCli(['link', 'show', 'id', String(info.id)])).out.split('\n')[0]).to.equal(header);
        expect(bpftoolRun(['link', 'show', 'id', String(info.id)]).out).to.equal(`${header}\n`);
        return;
      }
      expect(info.details).to.deep.equal({ kind: 'perf_event', event: { kind: 'event', config: 2n, type: 1, cookie: 4660n } });
      const me = `${readFileSync('/proc/self/comm', 'utf8').trim()}(${process.pid})`;
      const ours = await runCli(['link', 'show', 'id', String(info.id)]);
      const header = `${info.id}: perf_event  prog ${fx.progId('show_perf_event')}  `;
      expect(ours.out).to.equal(`${header}\n\tevent software:page-faults  cookie 4660  \n\tbpf_cookie 4660\n\tpids ${me}\n`);
      expect(bpftoolRun(['link', 'show', 'id', String(info.id)]).out).to.equal(`${header}\n`);
      const json = JSON.parse((await runCli(['-j', 'link', 'show', 'id', String(info.id)])).out) as Record<string, unknown>;
      expect(json).to.deep.equal({
        id: info.id,
        type: 'perf_event',
        prog_id: fx.progId('show_perf_event'),
        event_type: 'software',
        event_config: 'page-faults',
        cookie: 4660,
        bpf_cookie: 4660,
        pids: [{ pid: process.pid, comm: me.split('(')[0] }],
      });
    } finally {
      pe.close();
    }
  });

  it('shows XDP and TCX links with their interface as upstream bpftool does', async function () {
    if (spawnSync('ip', ['-V']).status !== 0) this.skip();
    if (!kernelAtLeast(6, 6)) this.skip(); // no tcx links before 6.6 (test/links/network checks the NotSupportedError)
    const veth = VethPair.create();
    const links: OwnedFd[] = [];
    try {
      const xdpProg = objGet(fx.path('show_xdp'));
      const tcProg = objGet(fx.path('show_tc'));
      links.push(netdevLink(xdpProg, veth.ifindex, AttachType.XDP), netdevLink(tcProg, veth.ifindex, AttachType.TCX_INGRESS));
      xdpProg.close();
      tcProg.close();
      const { getLinkInfo } = await import('../../src/sys/index.js');
      const [xdp, tcx] = links.map((l) => getLinkInfo(l));
      expect(xdp?.details).to.deep.equal({ kind: 'xdp', ifindex: veth.ifindex });
      expect(tcx?.details).to.deep.equal({ kind: 'tcx', ifindex: veth.ifindex, mapId: 0, attachType: AttachType.TCX_INGRESS });
      const me = `${readFileSync('/proc/self/comm', 'utf8').trim()}(${process.pid})`;
      const dev = `${veth.name}(${veth.ifindex})`;
      const xdpOut = await runCli(['link', 'show', 'id', String(xdp?.id)]);
      expect(xdpOut.out).to.equal(`${xdp?.id}: xdp  prog ${fx.progId('show_xdp')}  \n\tifindex ${dev}  \n\tpids ${me}\n`);
      // bpftool 7.1 knows xdp links but prints no details for them.
      expect(bpftoolRun(['link', 'show', 'id', String(xdp?.id)]).out).to.equal(`${xdp?.id}: xdp  prog ${fx.progId('show_xdp')}  \n`);
      const tcxOut = await runCli(['link', 'show', 'id', String(tcx?.id)]);
      expect(tcxOut.out).to.equal(`${tcx?.id}: tcx  prog ${fx.progId('show_tc')}  \n\tifindex ${dev}  attach_type tcx_ingress  \n\tpids ${me}\n`);
      const json = JSON.parse((await runCli(['-j', 'link', 'show', 'id', String(tcx?.id)])).out) as Record<string, unknown>;
      expect(json).to.deep.equal({
        id: tcx?.id,
        type: 'tcx',
        prog_id: fx.progId('show_tc'),
        devname: veth.name,
        ifindex: veth.ifindex,
        attach_type: 'tcx_ingress',
        pids: [{ pid: process.pid, comm: me.split('(')[0] }],
      });
    } finally {
      for (const l of links) l.close();
      veth.remove();
    }
  });

  it('shows an iterator link (target_name) exactly as bpftool', async () => {
    bpftool('prog', 'loadall', join(BPF_DIR, 'show', 'iter.bpf.o'), join(fx.dir, 'iter'));
    const prog = objGet(join(fx.dir, 'iter', 'show_iter_maps'));
    // link_create: prog_fd, target_fd 0, attach_type BPF_TRACE_ITER, no iter_info (all maps).
    const attr = new AttrWriter(16).u32(0, prog.fd).u32(8, AttachType.TRACE_ITER);
    const link = new OwnedFd(bpfSyscall(BpfCmd.LINK_CREATE, attr.bytes), 'iter link');
    prog.close();
    const { getLinkInfo } = await import('../../src/sys/index.js');
    const info = getLinkInfo(link);
    expect(info.details).to.include({ kind: 'iter', targetName: 'bpf_map' });
    // Pinned and closed, so no process holds it and the output has no pids.
    objPin(link, join(fx.dir, 'iter_link'));
    link.close();
    for (const args of [
      ['link', 'show', 'id', String(info.id)],
      ['-j', 'link', 'show', 'id', String(info.id)],
      ['-f', 'link', 'show', 'pinned', join(fx.dir, 'iter_link')],
    ]) {
      const ours = await runCli(args);
      expect(ours.out, args.join(' ')).to.equal(bpftoolRun(args).out);
    }
    expect((await runCli(['link', 'show', 'id', String(info.id)])).out).to.equal(`${info.id}: iter  prog ${info.progId}  target_name bpf_map  \n`);
  });

  it('refuses a pinned path that is not a link, with bpftool message and status', async () => {
    const args = ['link', 'show', 'pinned', fx.path('show_xdp')];
    const ours = await runCli(args);
    const ref = bpftoolRun(args);
    expect(ours.err).to.equal('Error: incorrect object type: prog\n');
    expect(ours.err).to.equal(ref.err);
    expect(ours.code).to.equal(ref.code);
  });

  it('prints help', async () => {
    const r = await runCli(['link', 'help']);
    expect(r.code).to.equal(0);
    expect(r.out).to.match(/^Usage: bpf-ts link \{ show \| list \} \[LINK\]\n/);
    expect(r.out).to.include('LINK := { id LINK_ID | pinned FILE }');
    const bad = await runCli(['link', 'frob']);
    expect(bad.code).to.equal(255);
    expect(bad.err).to.equal("Error: unknown command 'frob' for 'link', see 'bpf-ts link help'\n");
  });
});
