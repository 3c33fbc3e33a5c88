import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BpfObject } from '../../src/loader/index.js';
import { loadObject, matchSection } from '../../src/loader/index.js';
import { attachKprobe, attachKprobeMulti, attachKsyscall, autoAttach, kprobeUnavailableReason } from '../../src/links/index.js';
import { tracefsRoot } from '../../src/sys/index.js';
import { NotSupportedError } from '../../src/sys/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { program, UNSUPPORTED_OBJ, closeCheckingLinks } from './fixture.js';

describe('links: hooks this kernel cannot attach', function () {
  let obj: BpfObject;

  before(async function () {
    requirePrivileges(this);
    // fentry/fexit/lsm programs of the object cannot even be loaded here (see tracing-hooks).
    obj = await loadObject(UNSUPPORTED_OBJ, { programs: ['on_kprobe', 'on_kretprobe', 'on_ksyscall', 'on_kprobe_multi'] });
  });
  after(() => closeCheckingLinks(obj));

  const kprobeCase = (title: string, run: () => unknown, target: string): void => {
    it(title, function () {
      const reason = kprobeUnavailableReason();
      if (reason === undefined) this.skip(); // kprobes work on this kernel
      expect(existsSync('/sys/bus/event_source/devices/kprobe')).to.equal(false);
      expect(reason).to.equal(
        `kprobe PMU not available (/sys/bus/event_source/devices/kprobe missing) and no kprobe_events in tracefs (${tracefsRoot()}/kprobe_events missing): the kernel lacks CONFIG_KPROBES/CONFIG_KPROBE_EVENTS`,
      );
      let caught: unknown;
      try {
        run();
      } catch (e) {
        caught = e;
      }
      expect(caught).to.be.instanceOf(NotSupportedError);
      expect((caught as NotSupportedError).feature).to.equal('kprobe PMU');
      expect((caught as Error).message).to.equal(`${target}: ${reason}`);
    });
  };

  kprobeCase('kprobe is skipped here: no kprobe PMU and no kprobe_events (NotSupportedError)', () => attachKprobe(program(obj, 'on_kprobe'), 'do_nanosleep'), "program 'on_kprobe' -> kprobe do_nanosleep");
  kprobeCase('kretprobe with an offset-free target, auto-attached from SEC("kretprobe/do_nanosleep"): NotSupportedError', () => {
    const p = program(obj, 'on_kretprobe');
    return autoAttach(p, matchSection(p.section));
  }, "program 'on_kretprobe' -> kretprobe do_nanosleep");
  kprobeCase('kprobe at function+offset: NotSupportedError names the offset', () => attachKprobe(program(obj, 'on_kprobe'), 'do_nanosleep', { offset: 4 }), "program 'on_kprobe' -> kprobe do_nanosleep+0x4");
  kprobeCase('ksyscall resolves the arch syscall entry and is refused the same way', () => attachKsyscall(program(obj, 'on_ksyscall'), 'getppid'), "program 'on_ksyscall' -> kprobe __x64_sys_getppid");

  it('a kprobe forced onto the legacy tracefs path (legacy: true) without kprobe_events: NotSupportedError naming kprobe_events', function () {
    if (kprobeUnavailableReason() === undefined) this.skip(); // kprobes work here: test/kernels/attach proves the legacy path fires
    const events = join(tracefsRoot(), 'kprobe_events');
    expect(existsSync(events)).to.equal(false);
    expect(() => attachKprobe(program(obj, 'on_kprobe'), 'do_nanosleep', { legacy: true, retprobe: true }))
      .to.throw(NotSupportedError, `program 'on_kprobe' -> kretprobe do_nanosleep: no kprobe_events in tracefs (${events} missing): the kernel lacks CONFIG_KPROBE_EVENTS`)
      .with.property('feature', 'kprobe_events');
  });

  it('kprobe.multi: the kernel refuses kprobe_multi links here (no fprobe): NotSupportedError', function () {
    let caught: unknown;
    try {
      attachKprobeMulti(program(obj, 'on_kprobe_multi'), { symbols: ['do_nanosleep'] })?.close();
    } catch (e) {
      caught = e;
    }
    if (caught === undefined) this.skip(); // this kernel has fprobe: the link worked and was closed
    expect(caught).to.be.instanceOf(NotSupportedError);
    expect((caught as Error).message).to.match(/^program 'on_kprobe_multi' -> kprobe\.multi do_nanosleep: the kernel refused a kprobe_multi link \(E[A-Z]+\): it needs Linux 5\.18\+ with CONFIG_FPROBE$/);
  });
});
