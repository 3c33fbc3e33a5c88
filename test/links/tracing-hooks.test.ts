import { expect } from 'chai';
import { existsSync } from 'node:fs';
import type { BpfObject } from '../../src/loader/index.js';
import { matchSection } from '../../src/loader/index.js';
import {
  attach,
  attachRawTracepoint,
  attachTracepoint,
  attachTracing,
  autoAttach,
  Link,
  LinkError,
  trampolineUnavailableReason,
} from '../../src/links/index.js';
import { AttachType, LinkType, linkGetFdById, NotSupportedError, ObjectNotFoundError } from '../../src/sys/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { kernelAtLeast, kernelBtfHas } from '../helpers/kernel.js';
import { count, getppid, loadCounters, program, Slot, closeCheckingLinks } from './fixture.js';

/** The link with `id` is gone from the kernel. */
function expectLinkGone(id: number): void {
  expect(() => linkGetFdById(id)).to.throw(ObjectNotFoundError);
}

/** Waits (up to 2 s) until the link with `id` is freed, then a little longer for its detach to finish. */
async function waitForLinkGone(id: number): Promise<void> {
  const deadline = Date.now() + 2000;
  for (;;) {
    try {
      linkGetFdById(id).close();
    } catch (e) {
      if (!(e instanceof ObjectNotFoundError)) throw e;
      await new Promise((r) => setTimeout(r, 50));
      return;
    }
    if (Date.now() > deadline) throw new Error(`link ${id} still exists after unpin`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('links: tracepoint, raw_tp, tp_btf', function () {
  let obj: BpfObject;

  before(async function () {
    requirePrivileges(this);
    obj = await loadCounters(['tp_getppid', 'raw_sys_enter', 'btf_sys_enter', 'xdp_count']);
  });
  after(() => closeCheckingLinks(obj));

  it('tracepoint syscalls/sys_enter_getppid counts exactly the getppid calls of this process', function () {
    const before = count(obj, Slot.TRACEPOINT);
    const link = attachTracepoint(program(obj, 'tp_getppid'), 'syscalls', 'sys_enter_getppid');
    let id: number;
    try {
      expect(link).to.be.instanceOf(Link);
      expect(link.isBpfLink).to.equal(true);
      getppid(25);
      expect(count(obj, Slot.TRACEPOINT) - before).to.equal(25n);
      const info = link.info();
      id = info.id;
      expect(info.type).to.equal(LinkType.PERF_EVENT);
      expect(info.details).to.deep.include({ kind: 'perf_event' });
      // bpf_link_info.perf_event is Linux 6.6+: an older kernel fills nothing (type 0, 'unspec').
      const event = kernelAtLeast(6, 6) ? { kind: 'tracepoint', tpName: 'sys_enter_getppid' } : { kind: 'unspec', perfEventType: 0 };
      if (info.details.kind === 'perf_event') expect(info.details.event).to.deep.include(event);
    } finally {
      link.close();
    }
    expectLinkGone(id);
    getppid(5);
    expect(count(obj, Slot.TRACEPOINT) - before).to.equal(25n, 'closed link no longer fires');
  });

  it('tracepoint auto-attach from SEC("tracepoint/syscalls/sys_enter_getppid") and via attach()', function () {
    const p = program(obj, 'tp_getppid');
    const before = count(obj, Slot.TRACEPOINT);
    {
      using link = autoAttach(p, matchSection(p.section));
      expect(link).to.be.instanceOf(Link);
      getppid(3);
    }
    {
      using link = attach(p, {}, matchSection(p.section));
      getppid(4);
      expect((link as Link).kind).to.equal('tracepoint');
    }
    {
      using _link = attach(p, { target: 'syscalls/sys_enter_getppid' });
      getppid(5);
    }
    expect(count(obj, Slot.TRACEPOINT) - before).to.equal(12n);
  });

  it('a missing tracepoint is a NotSupportedError naming program and target', function () {
    const p = program(obj, 'tp_getppid');
    let caught: unknown;
    try {
      attachTracepoint(p, 'syscalls', 'sys_enter_no_such_call');
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(NotSupportedError);
    expect((caught as NotSupportedError).message).to.equal(
      "program 'tp_getppid' -> tracepoint syscalls/sys_enter_no_such_call: tracepoint syscalls/sys_enter_no_such_call does not exist on this kernel (/sys/kernel/tracing/events/syscalls/sys_enter_no_such_call/id missing)",
    );
    expect((caught as NotSupportedError).feature).to.equal('tracepoint syscalls/sys_enter_no_such_call');
  });

  it('raw_tp/sys_enter counts getppid via BPF_RAW_TRACEPOINT_OPEN; pin keeps it attached after close, unpin removes it', async function () {
    const path = `/sys/fs/bpf/bpfts-links-rawtp-${process.pid}`;
    const before = count(obj, Slot.RAW_TP);
    const link = attachRawTracepoint(program(obj, 'raw_sys_enter'), 'sys_enter');
    const info = link.info();
    expect(info.details).to.deep.equal({ kind: 'raw_tracepoint', tpName: 'sys_enter', cookie: 0n });
    getppid(10);
    expect(count(obj, Slot.RAW_TP) - before).to.equal(10n);
    link.pin(path);
    expect(link.pinnedAt).to.equal(path);
    expect(existsSync(path)).to.equal(true);
    link.close();
    getppid(10);
    expect(count(obj, Slot.RAW_TP) - before).to.equal(20n, 'pinned link outlives close()');
    link.unpin();
    expect(existsSync(path)).to.equal(false);
    // The last reference was the pin: bpffs drops it after an RCU grace period, from a work item.
    await waitForLinkGone(info.id);
    const settled = count(obj, Slot.RAW_TP);
    getppid(10);
    expect(count(obj, Slot.RAW_TP)).to.equal(settled);
  });

  it('raw_tp links refuse detach() (NotSupportedError) and update() (LinkError with the EINVAL hint)', function () {
    const before = count(obj, Slot.RAW_TP);
    using link = attachRawTracepoint(program(obj, 'raw_sys_enter'), 'sys_enter');
    expect(() => link.detach()).to.throw(NotSupportedError, "raw_tracepoint link of program 'raw_sys_enter' (sys_enter): the kernel cannot detach this link type (EOPNOTSUPP)");
    expect(() => link.update(program(obj, 'raw_sys_enter'))).to.throw(
      LinkError,
      "program 'raw_sys_enter' -> raw_tracepoint sys_enter: update to program 'raw_sys_enter' failed (EINVAL: the kernel cannot update this link type, or the new program differs in type or attach type): BPF_LINK_UPDATE failed (EINVAL)",
    );
    getppid(3);
    expect(count(obj, Slot.RAW_TP) - before).to.equal(3n, 'still attached after the refused calls');
  });

  it('BPF cookies reach the kernel: raw_tp (Linux 6.10+) and perf_event tracepoint links report them', function () {
    if (!kernelAtLeast(6, 10)) {
      expect(() => attachRawTracepoint(program(obj, 'raw_sys_enter'), 'sys_enter', { cookie: 0x1234n }))
        .to.throw(NotSupportedError, "program 'raw_sys_enter' -> raw_tracepoint sys_enter: the kernel's BPF_RAW_TRACEPOINT_OPEN has no cookie (Linux 6.10+)")
        .with.property('feature', 'raw_tp BPF cookie');
    }
    using raw = attachRawTracepoint(program(obj, 'raw_sys_enter'), 'sys_enter', kernelAtLeast(6, 10) ? { cookie: 0x1234n } : {});
    // The cookie in bpf_link_info.raw_tracepoint came after the attach option: where the kernel's
    // info struct lacks it, it reports none.
    const reported = kernelAtLeast(6, 10) && kernelBtfHas('bpf_link_info', 'raw_tracepoint', 'cookie') ? 0x1234n : 0n;
    expect(raw.info().details).to.deep.equal({ kind: 'raw_tracepoint', tpName: 'sys_enter', cookie: reported });
    using tp = attachTracepoint(program(obj, 'tp_getppid'), 'syscalls', 'sys_enter_getppid', { cookie: 77n });
    const info = tp.info();
    if (info.details.kind !== 'perf_event') expect.fail(info.details.kind);
    // bpf_link_info.perf_event is Linux 6.6+: an older kernel fills nothing (type 0, 'unspec').
    expect(info.details.event).to.deep.include(kernelAtLeast(6, 6) ? { kind: 'tracepoint', cookie: 77n } : { kind: 'unspec', perfEventType: 0 });
    const before = count(obj, Slot.RAW_TP);
    getppid(2);
    expect(count(obj, Slot.RAW_TP) - before).to.equal(2n);
  });

  it('a raw tracepoint that does not exist is a LinkError with the errno', function () {
    expect(() => attachRawTracepoint(program(obj, 'raw_sys_enter'), 'no_such_tp')).to.throw(LinkError, "program 'raw_sys_enter' -> raw_tracepoint no_such_tp: attach failed: BPF_RAW_TRACEPOINT_OPEN failed (ENOENT)");
  });

  it('tp_btf/sys_enter counts getppid (BPF_LINK_CREATE with BPF_TRACE_RAW_TP), auto-attached from its SEC', function () {
    const p = program(obj, 'btf_sys_enter');
    const before = count(obj, Slot.TP_BTF);
    {
      using link = attachTracing(p);
      expect(link.kind).to.equal('tp_btf');
      getppid(7);
      expect(link.info().type).to.be.oneOf([LinkType.TRACING, LinkType.RAW_TRACEPOINT]);
    }
    {
      using _link = autoAttach(p, matchSection(p.section));
      getppid(7);
    }
    getppid(7);
    expect(count(obj, Slot.TP_BTF) - before).to.equal(14n);
  });

  it('fentry/fexit/fmod_ret/lsm are skipped here: this kernel refuses BPF trampolines (NotSupportedError)', function () {
    const reason = trampolineUnavailableReason();
    if (reason === undefined) this.skip(); // a kernel with trampolines: nothing to check here
    expect(reason).to.match(/^the kernel refused a BPF trampoline \(loading an fentry program as root failed with E[A-Z]+\): fentry\/fexit\/fmod_ret\/lsm programs need trampoline support/);
    // A program handed over as fentry (here the tp_btf program, which the kernel cannot link as
    // fentry either way) gets the explanation instead of a bare errno.
    const asFentry = { fd: program(obj, 'btf_sys_enter').fd, name: 'on_fentry', expectedAttachType: AttachType.TRACE_FENTRY };
    let caught: unknown;
    try {
      attachTracing(asFentry, { targetName: 'do_nanosleep' });
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(NotSupportedError);
    expect((caught as NotSupportedError).feature).to.equal('BPF trampoline');
    expect((caught as Error).message).to.equal(`program 'on_fentry' -> fentry do_nanosleep: ${reason}`);
  });

  it('attach() without a target for a tracepoint program says what it needs', function () {
    expect(() => attach(program(obj, 'tp_getppid'))).to.throw(LinkError, "program 'tp_getppid': attach needs options.target (or the SEC() info) for program type 5");
    expect(() => attach(program(obj, 'xdp_count'))).to.throw(LinkError, "program 'xdp_count': attach needs options.device for program type 6");
  });

  it('pin/update/info on a legacy (ioctl) perf event attachment are NotSupportedError', function () {
    using link = attachTracepoint(program(obj, 'tp_getppid'), 'syscalls', 'sys_enter_getppid', { forceIoctl: true });
    const before = count(obj, Slot.TRACEPOINT);
    getppid(4);
    expect(count(obj, Slot.TRACEPOINT) - before).to.equal(4n);
    expect(link.isBpfLink).to.equal(false);
    const msg = "tracepoint attachment of program 'tp_getppid' (syscalls/sys_enter_getppid) is not a bpf_link: attached with PERF_EVENT_IOC_SET_BPF (perf_event bpf_links need Linux 5.15+)";
    expect(() => link.pin('/sys/fs/bpf/x')).to.throw(NotSupportedError, `pin: ${msg}`);
    expect(() => link.info()).to.throw(NotSupportedError, `info: ${msg}`);
    expect(() => link.update(program(obj, 'tp_getppid'))).to.throw(NotSupportedError, `update: ${msg}`);
  });
});
