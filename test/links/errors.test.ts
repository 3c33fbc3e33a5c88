import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BpfObject } from '../../src/loader/index.js';
import {
  addressToFileOffset,
  attach,
  attachKprobeMulti,
  attachNetns,
  attachRawTracepoint,
  attachUprobeMulti,
  autoAttach,
  globRegExp,
  LinkError,
  parseUserElf,
  SymbolResolveError,
} from '../../src/links/index.js';
import { AttachType, ProgType } from '../../src/sys/index.js';
import { BpfTsError } from '../../src/errors/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { loadCounters, program, closeCheckingLinks } from './fixture.js';

/** A program handle that never reaches the kernel (the error comes first). */
const fake = (type: number, name = 'fake'): { fd: number; type: number; name: string } => ({ fd: 1_000_000, type, name });

describe('links: error paths without the kernel', function () {
  it('LinkError and SymbolResolveError are BpfTsErrors carrying their context', function () {
    const e = new LinkError('boom', { program: 'p', target: 'xdp ifindex 1' });
    expect(e).to.be.instanceOf(BpfTsError);
    expect(e.message).to.equal("program 'p' -> xdp ifindex 1: boom");
    expect([e.program, e.target]).to.deep.equal(['p', 'xdp ifindex 1']);
    expect(new LinkError('bare').message).to.equal('bare');
    const s = new SymbolResolveError('gone', '/bin/x', 'f');
    expect(s).to.be.instanceOf(BpfTsError);
    expect([s.message, s.binary, s.symbol]).to.deep.equal(["/bin/x: symbol 'f': gone", '/bin/x', 'f']);
  });

  it('autoAttach refuses malformed SEC() targets and USDT with LinkErrors', function () {
    const p = fake(ProgType.TRACEPOINT, 'p');
    const cases: Array<[string, string, string, string]> = [
      ['tracepoint/nocategory', 'tracepoint', 'nocategory', `cannot auto-attach SEC("tracepoint/nocategory"): expected 'tracepoint/<category>/<name>'`],
      ['uprobe/nocolon', 'uprobe', 'nocolon', `cannot auto-attach SEC("uprobe/nocolon"): expected 'uprobe/<binary>:<function>[+<offset>]'`],
      ['uprobe.multi/nocolon', 'uprobe_multi', 'nocolon', `cannot auto-attach SEC("uprobe.multi/nocolon"): expected 'uprobe.multi/<binary>:<pattern>'`],
      ['kprobe/f+x', 'kprobe', 'f+x', `cannot auto-attach SEC("kprobe/f+x"): expected 'kprobe/<function>[+<offset>]'`],
      ['usdt/prov:name', 'usdt', 'prov:name', `cannot auto-attach SEC("usdt/prov:name"): expected 'usdt/<binary>:<provider>:<name>'`],
      ['fancy/x', 'fancy', 'x', `cannot auto-attach SEC("fancy/x"): auto-attach family 'fancy' is not supported by bpf-ts`],
    ];
    for (const [name, family, to, message] of cases) {
      expect(() => autoAttach(p, { name, autoAttach: family, attachTo: to }), name).to.throw(LinkError, `program 'p': ${message}`);
    }
    expect(() => autoAttach(p, { name: 'usdt/nosuchbin-bpfts:prov:name', autoAttach: 'usdt', attachTo: 'nosuchbin-bpfts:prov:name' })).to.throw(
      LinkError,
      "program 'p' -> usdt nosuchbin-bpfts:prov:name: cannot place USDT probe: nosuchbin-bpfts: not found in $PATH",
    );
    expect(() => autoAttach(p, { name: 'usdt/sh:prov:name', autoAttach: 'usdt', attachTo: '/bin/sh:prov:name' })).to.throw(LinkError, /^program 'p' -> usdt \/bin\/sh:prov:name: no USDT probe prov:name in \/bin\/sh$/);
    expect(autoAttach(p, { name: 'xdp', autoAttach: 'none' })).to.equal(undefined);
    expect(autoAttach(p, { name: 'raw_tp', autoAttach: 'raw_tracepoint' })).to.equal(undefined);
  });

  it('attach() names what each family needs, and refuses types it cannot attach', function () {
    const need = (type: number, what: string): void => {
      expect(() => attach(fake(type))).to.throw(LinkError, `program 'fake': attach needs ${what} for program type ${type}`);
    };
    need(ProgType.PERF_EVENT, 'options.perfEvent');
    need(ProgType.SCHED_CLS, 'options.device');
    need(ProgType.CGROUP_SKB, 'options.cgroup');
    need(ProgType.SOCKET_FILTER, 'options.socketFd');
    need(ProgType.NETFILTER, 'options.netfilter');
    need(ProgType.RAW_TRACEPOINT, 'options.target (or the SEC() info)');
    expect(() => attach({ ...fake(ProgType.LSM), expectedAttachType: AttachType.LSM_CGROUP })).to.throw(LinkError, "program 'fake': attach needs options.cgroup for program type 29");
    need(ProgType.SK_MSG, "options.sockmapFd");
    expect(() => attach(fake(ProgType.SCHED_CLS), { device: { ifindex: 1 } })).to.throw(LinkError, "program 'fake': attach needs options.direction ('ingress' or 'egress') for program type 3");
    expect(() => attach(fake(ProgType.STRUCT_OPS))).to.throw(LinkError, "program 'fake': bpf-ts cannot attach programs of type 27 (struct_ops maps attach with their map; syscall programs run with BPF_PROG_TEST_RUN)");
  });

  it('kprobe.multi and uprobe.multi with nothing matching are LinkErrors', function () {
    expect(() => attachKprobeMulti(fake(ProgType.KPROBE), { pattern: 'bpfts_no_such_kernel_fn_*' })).to.throw(LinkError, "program 'fake' -> kprobe.multi bpfts_no_such_kernel_fn_*: no kernel function matches");
    expect(() => attachUprobeMulti(fake(ProgType.KPROBE), { binary: '/bin/sh', pattern: 'bpfts_no_such_fn_*' })).to.throw(LinkError, /^program 'fake' -> uprobe\.multi \/bin\/sh:bpfts_no_such_fn_\*: no function matches$/);
    expect(() => attachUprobeMulti(fake(ProgType.KPROBE), { binary: '/no/such', symbols: ['f'] })).to.throw(LinkError, "program 'fake' -> uprobe.multi /no/such:f: cannot place uprobe.multi: /no/such: no such file");
  });

  it('a network namespace that cannot be opened is a LinkError', function () {
    expect(() => attachNetns(fake(ProgType.SK_LOOKUP), { netns: '/no/such/netns' })).to.throw(LinkError, /^program 'fake' -> netns \/no\/such\/netns sk_lookup: cannot open network namespace: ENOENT/);
  });

  it('globRegExp matches shell-style patterns literally otherwise', function () {
    expect(globRegExp('tcp_v4_*').test('tcp_v4_connect')).to.equal(true);
    expect(globRegExp('a?c').test('abc')).to.equal(true);
    expect(globRegExp('a.c').test('abc')).to.equal(false);
  });

  it('parseUserElf rejects what it cannot use with SymbolResolveErrors naming the file', function () {
    const dir = mkdtempSync(join(tmpdir(), 'bpfts-elf-'));
    try {
      const f = join(dir, 'bad');
      const cases: Array<[Uint8Array, string]> = [
        [new Uint8Array(10), 'bad ELF magic'],
        [Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, ...new Array<number>(58).fill(0)]), 'not ELFCLASS64'],
        [Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 2, ...new Array<number>(58).fill(0)]), 'not little-endian'],
      ];
      for (const [bytes, why] of cases) {
        writeFileSync(f, bytes);
        expect(() => parseUserElf(bytes, f)).to.throw(SymbolResolveError, `${f}: not a usable ELF64 binary: ${why}`);
      }
      // A header whose section table points past the end of the file.
      const h = new Uint8Array(64);
      h.set([0x7f, 0x45, 0x4c, 0x46, 2, 1]);
      const v = new DataView(h.buffer);
      v.setBigUint64(40, 0x1000n, true); // e_shoff
      v.setUint16(58, 64, true); // e_shentsize
      v.setUint16(60, 3, true); // e_shnum
      expect(() => parseUserElf(h, 'h')).to.throw(SymbolResolveError, 'h: not a usable ELF64 binary: section header table at 0x1000 (+0xc0) is outside the file');
      const elf = parseUserElf(new Uint8Array([...h.subarray(0, 40), ...new Uint8Array(24)]), 'empty');
      expect(() => addressToFileOffset(elf, 0x401000n)).to.throw(SymbolResolveError, 'empty: address 0x401000 is in no PT_LOAD segment');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('links: error paths in the kernel', function () {
  let obj: BpfObject;
  before(async function () {
    requirePrivileges(this);
    obj = await loadCounters(['raw_sys_enter']);
  });
  after(() => closeCheckingLinks(obj));

  it('pinning over an existing pin is a LinkError naming the path; the first pin stays', function () {
    const path = `/sys/fs/bpf/bpfts-links-pin-${process.pid}`;
    using a = attachRawTracepoint(program(obj, 'raw_sys_enter'), 'sys_enter');
    // Another tracepoint: before Linux 6.10 one program cannot attach twice to the same one (EEXIST).
    using b = attachRawTracepoint(program(obj, 'raw_sys_enter'), 'sys_exit');
    a.pin(path);
    try {
      expect(() => b.pin(path)).to.throw(LinkError, new RegExp(`^program 'raw_sys_enter' -> raw_tracepoint sys_exit: pin at ${path} failed: BPF_OBJ_PIN ${path} failed \\(EEXIST\\)`));
      expect(b.pinnedAt).to.equal(undefined);
    } finally {
      a.unpin();
    }
  });

  it('using a closed link is an error, closing twice is not', function () {
    const link = attachRawTracepoint(program(obj, 'raw_sys_enter'), 'sys_enter');
    link.close();
    link.close();
    expect(link.closed).to.equal(true);
    expect(() => link.info()).to.throw(LinkError, "program 'raw_sys_enter' -> raw_tracepoint sys_enter: info: the link was closed");
    expect(() => link.pin('/sys/fs/bpf/x')).to.throw(LinkError, "program 'raw_sys_enter' -> raw_tracepoint sys_enter: pin: the link was closed");
  });
});
