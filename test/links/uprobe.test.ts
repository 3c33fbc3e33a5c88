import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import type { BpfObject } from '../../src/loader/index.js';
import { loadObject, loadObjectSpec, matchSection } from '../../src/loader/index.js';
import {
  attachUprobe,
  attachUprobeMulti,
  attachUsdt,
  encodeUsdtSpec,
  loadUserElf,
  parseUsdtArgs,
  USDT_SPEC_SIZE,
  parseUsdtTarget,
  readUsdtNotes,
  autoAttach,
  ldSoCache,
  LinkError,
  parseUprobeTarget,
  resolveBinaryPath,
  resolveUprobe,
  SymbolResolveError,
} from '../../src/links/index.js';
import { LinkType, NotSupportedError, tracefsRoot } from '../../src/sys/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { kernelAtLeast, kernelBtfHas } from '../helpers/kernel.js';
import { count, loadCounters, program, Slot, closeCheckingLinks, USDT_ARGS_OBJ } from './fixture.js';
import { buildUprobeTarget, type UprobeTarget } from './uprobe-fixture.js';

/** File offset of `symbol` computed from readelf's section table and nm's symbol value. */
function readelfOffset(path: string, symbol: string): bigint {
  const nm = execFileSync('nm', ['--defined-only', path], { encoding: 'utf8' });
  const line = nm.split('\n').find((l) => l.endsWith(` ${symbol}`));
  if (line === undefined) throw new Error(`nm: no ${symbol}`);
  const value = BigInt(`0x${line.split(' ')[0]}`);
  const sections = execFileSync('readelf', ['-SW', path], { encoding: 'utf8' });
  const text = sections.split('\n').find((l) => / \.text\s/.test(l));
  if (text === undefined) throw new Error('readelf: no .text');
  const m = /\.text\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(text);
  if (m === null) throw new Error(`readelf: cannot parse ${text}`);
  return value - BigInt(`0x${m[1]}`) + BigInt(`0x${m[2]}`);
}

describe('links: uprobe target resolution (no kernel)', function () {
  let target: UprobeTarget;
  before(function () {
    target = buildUprobeTarget();
  });
  after(() => target?.remove());

  it('a function symbol resolves to its file offset as readelf/nm compute it', function () {
    const r = resolveUprobe({ binary: target.path, symbol: 'bpfts_target' });
    expect(r.path).to.equal(target.path);
    expect(r.offset).to.equal(readelfOffset(target.path, 'bpfts_target'));
    expect(resolveUprobe({ binary: target.path, symbol: 'bpfts_target', offset: 4 }).offset).to.equal(r.offset + 4n);
    expect(resolveUprobe({ binary: target.path, offset: 0x1234 }).offset).to.equal(0x1234n);
  });

  it('library names resolve through /etc/ld.so.cache as ldconfig -p lists them; commands through $PATH', function () {
    const ldconfig = execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' });
    const m = /\tlibc\.so\.6 \(libc6,x86-64\) => (\S+)/.exec(ldconfig);
    if (m === null) this.skip();
    expect(ldSoCache().get('libc.so.6')).to.equal(m[1]);
    expect(resolveBinaryPath('libc.so.6')).to.equal(m[1]);
    expect(realpathSync(resolveBinaryPath('bash'))).to.equal(realpathSync(execFileSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim()));
    // A dynamic-only symbol of a stripped library (.dynsym): getppid in libc.
    const libc = resolveUprobe({ binary: 'libc.so.6', symbol: 'getppid' });
    expect(libc.offset > 0n).to.equal(true);
  });

  it('a library mapped by a process is found through /proc/PID/maps', function () {
    const path = resolveBinaryPath('libc.so.6', process.pid);
    expect(path).to.match(new RegExp(`^/proc/${process.pid}/root/.*libc\\.so\\.6$`));
  });

  it('missing binaries, libraries and symbols are SymbolResolveErrors', function () {
    expect(() => resolveBinaryPath('/no/such/binary')).to.throw(SymbolResolveError, '/no/such/binary: no such file');
    expect(() => resolveBinaryPath('libnosuch.so.9')).to.throw(SymbolResolveError, /^libnosuch\.so\.9: library not found in \/etc\/ld\.so\.cache or \/lib64, /);
    expect(() => resolveBinaryPath('no-such-command-bpfts')).to.throw(SymbolResolveError, 'no-such-command-bpfts: not found in $PATH');
    expect(() => resolveUprobe({ binary: target.path, symbol: 'no_such_fn' })).to.throw(SymbolResolveError, `${target.path}: symbol 'no_such_fn': no such function symbol in .symtab or .dynsym`);
  });

  it('USDT notes: provider, name, location and semaphore as readelf -n shows them, with file offsets', function () {
    const notes = readUsdtNotes(loadUserElf(target.path));
    expect(notes.map((n) => `${n.provider}:${n.name}`)).to.deep.equal(['bpfts:tick']);
    const n = notes[0]!;
    const text = execFileSync('readelf', ['-nW', target.path], { encoding: 'utf8' });
    const m = /Location: 0x([0-9a-f]+), Base: 0x[0-9a-f]+, Semaphore: 0x([0-9a-f]+)/.exec(text);
    expect(m).to.not.equal(null);
    expect(n.address).to.equal(BigInt(`0x${m![1]}`));
    expect(n.semaphore).to.equal(BigInt(`0x${m![2]}`));
    expect(n.args).to.match(/^-4@%[a-z0-9]+$/);
    const probes = /\.probes\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(execFileSync('readelf', ['-SW', target.path], { encoding: 'utf8' }));
    expect(n.semaphoreOffset).to.equal(n.semaphore - BigInt(`0x${probes![1]}`) + BigInt(`0x${probes![2]}`));
    expect(parseUsdtTarget('/usr/bin/x:prov:name')).to.deep.equal({ binary: '/usr/bin/x', provider: 'prov', name: 'name' });
  });

  it('USDT argument specs parse as libbpf encodes them (x86-64); bad ones are SymbolResolveErrors', function () {
    expect(parseUsdtArgs('-4@%edi 8@-8(%rbp) 2@$0x10 1@(%rax)')).to.deep.equal([
      { type: 1, valOff: 0n, regOff: 112, signed: true, bitshift: 32 },
      { type: 2, valOff: 0xfffffffffffffff8n, regOff: 32, signed: false, bitshift: 0 },
      { type: 0, valOff: 16n, regOff: 0, signed: false, bitshift: 48 },
      { type: 2, valOff: 0n, regOff: 80, signed: false, bitshift: 56 },
    ]);
    const spec = encodeUsdtSpec(parseUsdtArgs('-4@%edi'), 9n);
    expect(spec.byteLength).to.equal(USDT_SPEC_SIZE);
    const v = new DataView(spec.buffer);
    expect([v.getUint32(8, true), v.getInt16(12, true), v.getUint8(14), v.getInt8(15), v.getBigUint64(192, true), v.getInt16(200, true)]).to.deep.equal([1, 112, 1, 32, 9n, 1]);
    expect(() => parseUsdtArgs('%edi', 'bin')).to.throw(SymbolResolveError, "bin: USDT argument '%edi' has no size (expected N@location)");
    expect(() => parseUsdtArgs('4@%xmm0', 'bin')).to.throw(SymbolResolveError, "bin: USDT argument '4@%xmm0': unknown register %xmm0");
    expect(() => parseUsdtArgs('4@[x0]', 'bin')).to.throw(SymbolResolveError, "bin: USDT argument '4@[x0]': unsupported location '[x0]'");
    expect(() => parseUsdtArgs(Array(13).fill('4@%eax').join(' '), 'bin')).to.throw(SymbolResolveError, 'bin: USDT probe has 13 arguments, more than 12');
  });

  it('SEC() uprobe targets parse as libbpf does', function () {
    expect(parseUprobeTarget('/bin/bash:readline')).to.deep.equal({ binary: '/bin/bash', symbol: 'readline', offset: 0n });
    expect(parseUprobeTarget('libc.so.6:malloc+0x10')).to.deep.equal({ binary: 'libc.so.6', symbol: 'malloc', offset: 16n });
    expect(parseUprobeTarget('/x/y:0x400')).to.deep.equal({ binary: '/x/y', offset: 0x400n });
    expect(parseUprobeTarget('nocolon')).to.equal(undefined);
  });
});

describe('links: uprobe, uretprobe, uprobe.multi', function () {
  let obj: BpfObject;
  let target: UprobeTarget;

  before(async function () {
    requirePrivileges(this);
    obj = await loadCounters(['on_uprobe', 'on_uretprobe', 'on_uprobe_multi', 'on_usdt']);
    target = buildUprobeTarget();
  });
  after(() => {
    try {
      closeCheckingLinks(obj);
    } finally {
      target?.remove();
    }
  });

  it('uprobe counts every call of a function in a binary the test runs; uretprobe sees the return values', function () {
    const calls = count(obj, Slot.UPROBE);
    const rets = count(obj, Slot.URETPROBE);
    const sum = count(obj, Slot.URETVAL);
    {
      using up = attachUprobe(program(obj, 'on_uprobe'), { binary: target.path, symbol: 'bpfts_target' });
      using ret = attachUprobe(program(obj, 'on_uretprobe'), { binary: target.path, symbol: 'bpfts_target', retprobe: true });
      target.run(5);
      const info = up.info();
      expect(info.type).to.equal(LinkType.PERF_EVENT);
      // bpf_link_info.perf_event is Linux 6.6+: an older kernel fills nothing (type 0, 'unspec').
      const event = kernelAtLeast(6, 6) ? { kind: 'uprobe', fileName: target.path } : { kind: 'unspec', perfEventType: 0 };
      if (info.details.kind === 'perf_event') expect(info.details.event).to.deep.include(event);
      const retInfo = ret.info();
      if (retInfo.details.kind === 'perf_event') expect(retInfo.details.event.kind).to.equal(kernelAtLeast(6, 6) ? 'uretprobe' : 'unspec');
    }
    target.run(5);
    expect(count(obj, Slot.UPROBE) - calls).to.equal(5n);
    expect(count(obj, Slot.URETPROBE) - rets).to.equal(5n);
    expect(count(obj, Slot.URETVAL) - sum).to.equal(15n); // 1+2+3+4+5
  });

  it('legacy uprobe through tracefs uprobe_events: fires, and its probe definition is removed on close', function () {
    const events = `${tracefsRoot()}/uprobe_events`;
    const before = count(obj, Slot.UPROBE);
    const ret = count(obj, Slot.URETPROBE);
    {
      using up = attachUprobe(program(obj, 'on_uprobe'), { binary: target.path, symbol: 'bpfts_target', legacy: true });
      using _ret = attachUprobe(program(obj, 'on_uretprobe'), { binary: target.path, symbol: 'bpfts_target', retprobe: true, legacy: true });
      const defined = readFileSync(events, 'utf8');
      expect(defined).to.match(new RegExp(`^p:uprobes/bpfts_${process.pid}_\\d+ ${target.path.replace(/[/.-]/g, '\\$&')}:0x[0-9a-f]+$`, 'm'));
      expect(defined).to.match(new RegExp(`^r:uprobes/bpfts_${process.pid}_\\d+ `, 'm'));
      target.run(3);
      expect(up.info().details.kind).to.equal('perf_event');
    }
    expect(count(obj, Slot.UPROBE) - before).to.equal(3n);
    expect(count(obj, Slot.URETPROBE) - ret).to.equal(3n);
    expect(readFileSync(events, 'utf8')).to.not.include(`bpfts_${process.pid}_`);
  });

  it('a pid filter only counts that process', async function () {
    const before = count(obj, Slot.UPROBE);
    const waiting = target.startWaiting(3);
    try {
      using _link = attachUprobe(program(obj, 'on_uprobe'), { binary: target.path, symbol: 'bpfts_target', pid: waiting.pid });
      target.run(4); // another process: not counted
      expect(count(obj, Slot.UPROBE) - before).to.equal(0n);
      await waiting.go();
      expect(count(obj, Slot.UPROBE) - before).to.equal(3n);
    } finally {
      waiting.child.kill();
    }
  });

  it('a uprobe on a shared library function by library name (libc.so.6:getppid) with a pid filter', async function () {
    const before = count(obj, Slot.UPROBE);
    const waiting = target.startWaiting(6);
    try {
      using _link = attachUprobe(program(obj, 'on_uprobe'), { binary: 'libc.so.6', symbol: 'getppid', pid: waiting.pid });
      await waiting.go();
      expect(count(obj, Slot.UPROBE) - before).to.equal(6n);
    } finally {
      waiting.child.kill();
    }
  });

  it('auto-attach from SEC("uprobe") without a target attaches nothing, as libbpf; with path:function it attaches', function () {
    const p = program(obj, 'on_uprobe');
    expect(autoAttach(p, matchSection(p.section))).to.equal(undefined);
    const before = count(obj, Slot.UPROBE);
    {
      using link = autoAttach(p, { name: `uprobe/${target.path}:bpfts_target`, autoAttach: 'uprobe', attachTo: `${target.path}:bpfts_target` });
      expect(link?.kind).to.equal('uprobe');
      target.run(2);
    }
    expect(count(obj, Slot.UPROBE) - before).to.equal(2n);
  });

  it('an unresolvable uprobe is a LinkError with the SymbolResolveError as cause', function () {
    let caught: unknown;
    try {
      attachUprobe(program(obj, 'on_uprobe'), { binary: target.path, symbol: 'nope' });
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(LinkError);
    expect((caught as Error).message).to.equal(`program 'on_uprobe' -> uprobe ${target.path}:nope: cannot place uprobe: ${target.path}: symbol 'nope': no such function symbol in .symtab or .dynsym`);
    expect((caught as Error).cause).to.be.instanceOf(SymbolResolveError);
  });

  it('USDT probe guarded by a semaphore fires once attached (the kernel raises the semaphore), auto-attached from SEC("usdt/...")', function () {
    const before = count(obj, Slot.USDT);
    target.run(3); // not attached: semaphore 0, the probe is skipped
    expect(count(obj, Slot.USDT)).to.equal(before);
    {
      using group = attachUsdt(program(obj, 'on_usdt'), { binary: target.path, provider: 'bpfts', name: 'tick' });
      expect(group.links.length).to.equal(1);
      target.run(4);
      const info = group.links[0]!.info();
      // bpf_link_info.perf_event.uprobe.ref_ctr_offset came after 6.12: an older kernel reports 0.
      const reported = kernelBtfHas('bpf_link_info', 'perf_event', 'uprobe', 'ref_ctr_offset');
      if (info.details.kind === 'perf_event' && info.details.event.kind === 'uprobe') expect(info.details.event.refCtrOffset > 0n).to.equal(reported);
    }
    expect(count(obj, Slot.USDT) - before).to.equal(4n);
    {
      const p = program(obj, 'on_usdt');
      using _auto = autoAttach(p, { name: `usdt/${target.path}:bpfts:tick`, autoAttach: 'usdt', attachTo: `${target.path}:bpfts:tick` });
      target.run(2);
    }
    target.run(2);
    expect(count(obj, Slot.USDT) - before).to.equal(6n);
  });

  it('USDT arguments and cookie: the spec written to __bpf_usdt_specs lets the program read the probe argument', async function () {
    const spec = await loadObjectSpec(USDT_ARGS_OBJ);
    const uobj = await loadObject(spec);
    try {
      const specs = uobj.map('__bpf_usdt_specs')!;
      const info = specs.info();
      {
        using _g = attachUsdt(program(uobj, 'on_tick_arg'), {
          binary: target.path,
          provider: 'bpfts',
          name: 'tick',
          specsMap: { fd: specs.fd.fd, id: info.id, maxEntries: info.maxEntries },
          usdtCookie: 5n,
        });
        target.run(4); // ticks with i = 0, 1, 2, 3
      }
      const out = (slot: number): bigint => {
        const key = new Uint8Array(4);
        new DataView(key.buffer).setUint32(0, slot, true);
        const v = uobj.map('usdt_out')!.lookup(key)!;
        return new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true);
      };
      expect([out(0), out(1), out(2)]).to.deep.equal([4n, 6n, 20n]);
      {
        const p = program(uobj, 'on_tick_arg');
        const to = `${target.path}:bpfts:tick`;
        using _auto = autoAttach(p, { name: `usdt/${to}`, autoAttach: 'usdt', attachTo: to }, { usdtSpecsMap: { fd: specs.fd.fd, id: info.id, maxEntries: info.maxEntries } });
        target.run(3); // 0 + 1 + 2, cookie 0
      }
      expect([out(0), out(1), out(2)]).to.deep.equal([7n, 9n, 20n]);
    } finally {
      closeCheckingLinks(uobj);
    }
  });

  it('uprobe.multi counts calls through one uprobe_multi link (pid filter, symbol list)', async function () {
    if (!kernelAtLeast(6, 6)) {
      // uprobe_multi links are Linux 6.6+: the kernel's enum bpf_attach_type ends before them.
      expect(() => attachUprobeMulti(program(obj, 'on_uprobe_multi'), { binary: target.path, pattern: 'bpfts_*' }))
        .to.throw(NotSupportedError, /^program 'on_uprobe_multi' -> uprobe\.multi .*uprobe-target:bpfts_\*: the kernel refused a uprobe_multi link \(EINVAL\): it needs Linux 6\.6\+ with CONFIG_UPROBES$/)
        .with.property('feature', 'uprobe.multi');
      return;
    }
    const before = count(obj, Slot.UPROBE_MULTI);
    const waiting = target.startWaiting(4);
    try {
      using link = attachUprobeMulti(program(obj, 'on_uprobe_multi'), { binary: target.path, pattern: 'bpfts_*', pid: waiting.pid });
      // Asked while the process lives: the kernel reports pid 0 once the task is gone.
      const info = link.info();
      expect(info.details).to.deep.include({ kind: 'uprobe_multi', path: target.path, count: 1, pid: waiting.pid });
      target.run(2); // another process: not counted
      await waiting.go();
    } finally {
      waiting.child.kill();
    }
    expect(count(obj, Slot.UPROBE_MULTI) - before).to.equal(4n);
  });
});
