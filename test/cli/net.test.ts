/**
 * `bpf-ts net show` against `bpftool net show` in a network namespace the test creates with a
 * veth pair: generic XDP (attached by bpftool), classic clsact filters (attached by tc), a flow
 * dissector (attached to the netns by bpftool), a tcx
 * link (attached by our library from inside the netns) and a netfilter link. bpftool 7.1 lists
 * no tcx or netfilter: those are checked against bpftool 7.3+'s layout read from its source.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { attachNetfilter, NfInetHook, NfProto, type Link } from '../../src/links/index.js';
import { loadObject, type BpfObject } from '../../src/loader/index.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { CLI, REPO_ROOT } from '../helpers/paths.js';
import { COUNTERS_OBJ } from '../links/fixture.js';
import { BPFTOOL, CLI_OBJ } from './attach-fixture.js';
import { bpffsTempDir } from '../helpers/bpffs.js';

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('bpf-ts net show vs bpftool (in a netns with a veth pair)', function () {
  this.timeout(120_000);
  const ns = `bpfts-cli-${process.pid}`;
  let root = '';
  let cli: BpfObject | undefined;
  let counters: BpfObject | undefined;
  let nf: Link | undefined;
  const ids: Record<string, number> = {};

  /** Runs a command in the netns only (same mount namespace, so bpffs pins stay visible). */
  const inNs = (cmd: string, args: readonly string[]): Run => {
    const r = spawnSync('nsenter', [`--net=/var/run/netns/${ns}`, cmd === 'bpf-ts' ? process.execPath : cmd, ...(cmd === 'bpf-ts' ? [CLI] : []), ...args], { encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const mustInNs = (cmd: string, args: readonly string[]): void => {
    const r = inNs(cmd, args);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  };

  before(async function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
    requireTool(this, '/usr/sbin/tc');
    requireTool(this, '/usr/bin/nsenter');
    root = bpffsTempDir('bpfts-net-');
    cli = await loadObject(CLI_OBJ, { programs: ['xdp_rewrite', 'tc_mark', 'dissect'] });
    counters = await loadObject(COUNTERS_OBJ, { programs: ['tcx_ingress_count', 'netfilter_count'] });
    for (const [obj, name] of [[cli, 'xdp_rewrite'], [cli, 'tc_mark'], [cli, 'dissect'], [counters, 'tcx_ingress_count']] as const) {
      const p = obj.program(name);
      if (p === undefined) throw new Error(`${name} missing`);
      p.pin(join(root, name));
      ids[name] = p.info().id;
    }
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'add', 'bpftsA', 'type', 'veth', 'peer', 'name', 'bpftsB']);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'bpftsA', 'up']);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'bpftsB', 'up']);
    mustInNs(BPFTOOL, ['net', 'attach', 'xdpgeneric', 'pinned', join(root, 'xdp_rewrite'), 'dev', 'bpftsA']);
    // bpftool attaches a flow dissector to the netns it runs in.
    mustInNs(BPFTOOL, ['prog', 'attach', 'pinned', join(root, 'dissect'), 'flow_dissector']);
    mustInNs('tc', ['qdisc', 'add', 'dev', 'bpftsB', 'clsact']);
    mustInNs('tc', ['filter', 'add', 'dev', 'bpftsB', 'ingress', 'bpf', 'da', 'object-pinned', join(root, 'tc_mark')]);
    mustInNs('tc', ['filter', 'add', 'dev', 'bpftsB', 'egress', 'bpf', 'da', 'object-pinned', join(root, 'tc_mark')]);
    // tcx by our library, from inside the netns, pinned so it outlives that process.
    const script = `const l = await import(${JSON.stringify(join(REPO_ROOT, 'dist', 'src', 'links', 'index.js'))});
const s = await import(${JSON.stringify(join(REPO_ROOT, 'dist', 'src', 'sys', 'index.js'))});
const fd = s.objGet(${JSON.stringify(join(root, 'tcx_ingress_count'))});
const link = l.attachTcx({ fd: fd.fd, type: s.ProgType.SCHED_CLS, expectedAttachType: s.AttachType.TCX_INGRESS }, { interface: 'bpftsA', direction: 'ingress' });
link.pin(${JSON.stringify(join(root, 'tcx_link'))}); link.close(); fd.close();`;
    mustInNs(process.execPath, ['--input-type=module', '-e', script]);
    const nfProg = counters.program('netfilter_count');
    if (nfProg === undefined) throw new Error('netfilter_count missing');
    ids['netfilter_count'] = nfProg.info().id;
    nf = attachNetfilter(nfProg, { pf: NfProto.IPV4, hooknum: NfInetHook.LOCAL_IN, priority: -128 });
  });
  after(function () {
    nf?.close();
    spawnSync('ip', ['netns', 'del', ns]);
    cli?.close();
    counters?.close();
    if (root !== '') rmSync(root, { recursive: true, force: true });
  });

  /** Our plain output without what bpftool 7.1 does not know (tcx lines, the netfilter section). */
  const as71 = (out: string): string => out.split('\n').filter((l) => !/ tcx\//.test(l)).join('\n').replace(/netfilter:\n[^]*$/, '');

  it('plain: xdp and classic tc lines identical to bpftool; tcx and netfilter as bpftool 7.3+', function () {
    const ours = inNs('bpf-ts', ['net', 'show']);
    const ref = inNs(BPFTOOL, ['net', 'show']);
    expect(ours.stderr).to.equal('');
    expect(ours.status).to.equal(0);
    expect(as71(ours.stdout)).to.equal(ref.stdout);
    expect(ref.stdout).to.match(new RegExp(`^bpftsA\\(\\d+\\) generic id ${ids['xdp_rewrite']}$`, 'm'));
    expect(ref.stdout).to.match(new RegExp(`^bpftsB\\(\\d+\\) clsact/ingress \\S+ id ${ids['tc_mark']}$`, 'm'));
    expect(ref.stdout).to.match(new RegExp(`^bpftsB\\(\\d+\\) clsact/egress \\S+ id ${ids['tc_mark']}$`, 'm'));
    expect(ref.stdout).to.contain(`flow_dissector:\nid ${ids['dissect']}\n`);
    expect(ours.stdout).to.match(new RegExp(`^bpftsA\\(\\d+\\) tcx/ingress tcx_ingress_count prog_id ${ids['tcx_ingress_count']} link_id \\d+ $`, 'm'));
    expect(ours.stdout).to.contain(`\n\tip input prio -128 prog_id ${ids['netfilter_count']}`);
  });

  it('-j: bpftool\'s objects, plus tcx entries and the netfilter array', function () {
    type Net = { xdp: unknown[]; tc: Array<{ kind: string } & Record<string, unknown>>; flow_dissector: unknown[]; netfilter?: Array<Record<string, number>> };
    const ours = JSON.parse(inNs('bpf-ts', ['-j', 'net', 'show']).stdout) as Net[];
    // bpftool's flow_dissector entry is not valid JSON (`["id":N]`); ours is `[{"id":N}]`.
    const refText = inNs(BPFTOOL, ['-j', 'net', 'show']).stdout;
    expect(refText).to.contain(`"flow_dissector":["id":${ids['dissect']}]`);
    const ref = JSON.parse(refText.replace(/"flow_dissector":\["id":(\d+)\]/, '"flow_dissector":[{"id":$1}]')) as Net[];
    const [o] = ours;
    if (o === undefined) throw new Error('empty');
    const tcx = o.tc.filter((e) => e.kind.startsWith('tcx/'));
    expect(tcx.map((e) => ({ ...e, ifindex: 0, link_id: 0 }))).to.deep.equal([
      { devname: 'bpftsA', ifindex: 0, kind: 'tcx/ingress', name: 'tcx_ingress_count', prog_id: ids['tcx_ingress_count'], prog_flags: [], link_id: 0, link_flags: [] },
    ]);
    expect(o.netfilter?.filter((e) => e['id'] === ids['netfilter_count'])).to.deep.equal([{ pf: 2, hook: 1, prio: -128, flags: 0, id: ids['netfilter_count'] }]);
    delete o.netfilter;
    o.tc = o.tc.filter((e) => !e.kind.startsWith('tcx/'));
    expect(ours).to.deep.equal(ref);
    const pretty = inNs('bpf-ts', ['-p', 'net', 'show']).stdout;
    expect(JSON.parse(pretty)).to.deep.equal(JSON.parse(inNs('bpf-ts', ['-j', 'net', 'show']).stdout));
  });

  it('dev NAME: only that device; an unknown name fails as in bpftool', function () {
    const ours = inNs('bpf-ts', ['net', 'show', 'dev', 'bpftsB']);
    const ref = inNs(BPFTOOL, ['net', 'show', 'dev', 'bpftsB']);
    expect(as71(ours.stdout)).to.equal(ref.stdout);
    expect(ours.stdout).not.to.contain('bpftsA');
    const bad = inNs('bpf-ts', ['net', 'show', 'dev', 'nosuchdev0']);
    const badRef = inNs(BPFTOOL, ['net', 'show', 'dev', 'nosuchdev0']);
    expect([bad.status, bad.stderr]).to.deep.equal([badRef.status, badRef.stderr]);
  });
});
