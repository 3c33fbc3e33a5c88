import { expect } from 'chai';
import { AttachType, ProgType } from '../../src/sys/uapi.js';
// Imported from the module, not the loader index: the spec tests must not depend on the load half.
import { AutoAttach, matchSection, SECTION_DEFS, SecFlag, sectionDefMatches, findSectionDef, type SectionDef } from '../../src/loader/section-defs.js';
import { requireTool } from '../helpers/privileges.js';
import { CC, LIBBPF_HEADER, libbpfSections } from './reference-tools.js';

/** Section names that must select `def`: the bare family and, for `+` families, one with a target. */
function namesFor(def: SectionDef): string[] {
  if (def.sec.endsWith('+')) {
    const family = def.sec.slice(0, -1);
    return [family, `${family}/some_target`];
  }
  if (def.sec.endsWith('/')) return [`${def.sec}x`];
  return [def.sec];
}

/**
 * Rows of libbpf master's table that the system libbpf (1.1, the reference available to tests)
 * does not have yet (it answers "unknown" for them); for these only our own table is checked.
 */
const NEWER_THAN_LIBBPF_1_1 = new Set([
  'kprobe.session+',
  'uprobe.multi+',
  'uretprobe.multi+',
  'uprobe.session+',
  'uprobe.multi.s+',
  'uretprobe.multi.s+',
  'uprobe.session.s+',
  'usdt.s+',
  'tc/ingress',
  'tc/egress',
  'tcx/ingress',
  'tcx/egress',
  'netkit/primary',
  'netkit/peer',
  'tracepoint.s+',
  'tp.s+',
  'raw_tracepoint.s+',
  'raw_tp.s+',
  'tp_btf.s+',
  'fsession+',
  'fsession.s+',
  'fsession.multi+',
  'fsession.multi.s+',
  'fentry.multi+',
  'fexit.multi+',
  'fentry.multi.s+',
  'fexit.multi.s+',
  'sk_skb/verdict',
  'struct_ops.s+',
  'cgroup/connect_unix',
  'cgroup/sendmsg_unix',
  'cgroup/recvmsg_unix',
  'cgroup/getpeername_unix',
  'cgroup/getsockname_unix',
  'netfilter',
]);

describe('loader/section-defs: libbpf SEC() table', () => {
  it('every row matches its own names and is the first match for them', () => {
    for (const def of SECTION_DEFS) {
      for (const name of namesFor(def)) {
        expect(findSectionDef(name), `${def.sec} for '${name}'`).to.equal(def);
        const m = matchSection(name);
        expect(m.progType, name).to.equal(def.progType);
        expect(m.expectedAttachType, name).to.equal(def.expectedAttachType);
        expect(m.sleepable, name).to.equal((def.flags & SecFlag.SLEEPABLE) !== 0);
        expect(m.autoload, name).to.equal(true);
        expect(m.autoAttach, name).to.equal(def.autoAttach);
      }
    }
  });

  it('agrees with the system libbpf (libbpf_prog_type_by_name) on every row it knows', function () {
    requireTool(this, CC);
    requireTool(this, LIBBPF_HEADER);
    const rows = SECTION_DEFS.flatMap((def) => namesFor(def).map((name) => ({ def, name })));
    const answers = libbpfSections(rows.map((r) => r.name));
    let compared = 0;
    answers.forEach((a, i) => {
      const { def, name } = rows[i] as { def: SectionDef; name: string };
      expect(a.name).to.equal(name);
      if (!a.known) {
        expect(NEWER_THAN_LIBBPF_1_1.has(def.sec), `libbpf 1.1 does not know '${name}' (row ${def.sec})`).to.equal(true);
        return;
      }
      expect([name, a.progType, a.attachType]).to.deep.equal([name, def.progType, def.expectedAttachType]);
      compared++;
    });
    expect(compared).to.be.greaterThan(60);
  });

  it('agrees with the system libbpf on names no row accepts', function () {
    requireTool(this, CC);
    requireTool(this, LIBBPF_HEADER);
    const bogus = ['kprobex', 'kprobe_foo', 'xdp/foo', 'xdpx', 'socket/x', 'socketx', 'cgroup_skb', 'cgroup/unknown', 'fentryx/f', 'sk_skb/other', ''];
    for (const a of libbpfSections(bogus)) {
      expect(a.known, a.name).to.equal(false);
      expect(matchSection(a.name).def, a.name).to.equal(undefined);
      expect(matchSection(a.name).progType, a.name).to.equal(ProgType.UNSPEC);
    }
  });

  it("implements libbpf's '+' rule: exact, or followed by '/'", () => {
    const kprobe = SECTION_DEFS.find((d) => d.sec === 'kprobe+') as SectionDef;
    expect(sectionDefMatches(kprobe, 'kprobe')).to.equal(true);
    expect(sectionDefMatches(kprobe, 'kprobe/do_sys_open')).to.equal(true);
    expect(sectionDefMatches(kprobe, 'kprobe.multi/x')).to.equal(false);
    expect(sectionDefMatches(kprobe, 'kprobex')).to.equal(false);
    const xdp = SECTION_DEFS.find((d) => d.sec === 'xdp') as SectionDef;
    expect(sectionDefMatches(xdp, 'xdp')).to.equal(true);
    expect(sectionDefMatches(xdp, 'xdp/foo')).to.equal(false);
    const slashRow: SectionDef = { sec: 'custom/', progType: 1, expectedAttachType: 0, flags: 0, autoAttach: 'none' };
    expect(sectionDefMatches(slashRow, 'custom/a')).to.equal(true);
    expect(sectionDefMatches(slashRow, 'custom')).to.equal(false);
  });

  it("'?' turns autoload off and is not part of the section name", () => {
    const m = matchSection('?fentry.s/do_nanosleep');
    expect(m.autoload).to.equal(false);
    expect(m.sectionName).to.equal('?fentry.s/do_nanosleep');
    expect(m.name).to.equal('fentry.s/do_nanosleep');
    expect(m.progType).to.equal(ProgType.TRACING);
    expect(m.expectedAttachType).to.equal(AttachType.TRACE_FENTRY);
    expect(m.sleepable).to.equal(true);
    expect(m.attachTo).to.equal('do_nanosleep');
  });

  it('extracts the attach target after the first slash for + and BTF families only', () => {
    expect(matchSection('uprobe//usr/lib/libc.so.6:malloc').attachTo).to.equal('/usr/lib/libc.so.6:malloc');
    expect(matchSection('tracepoint/syscalls/sys_enter_openat').attachTo).to.equal('syscalls/sys_enter_openat');
    expect(matchSection('kprobe').attachTo).to.equal(undefined);
    expect(matchSection('cgroup/connect4').attachTo).to.equal(undefined);
    expect(matchSection('tc/ingress').attachTo).to.equal(undefined);
    expect(matchSection('iter/task').attachTo).to.equal('task');
    expect(matchSection('iter/task').autoAttach).to.equal(AutoAttach.ITER);
  });

  it('sets xdp frags only for XDP rows with SEC_XDP_FRAGS, and marks USDT', () => {
    expect(matchSection('xdp.frags').xdpFrags).to.equal(true);
    expect(matchSection('xdp.frags/devmap').xdpFrags).to.equal(true);
    expect(matchSection('xdp').xdpFrags).to.equal(false);
    expect((findSectionDef('usdt') as SectionDef).flags & SecFlag.USDT).to.equal(SecFlag.USDT);
    expect(matchSection('usdt.s').sleepable).to.equal(true);
  });
});
