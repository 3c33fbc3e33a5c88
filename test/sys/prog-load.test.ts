import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import {
  AttrFieldError,
  AttachType,
  BtfLoadError,
  MapType,
  PROG_LOAD_ATTR_SIZE,
  ProgLoadError,
  ProgType,
  SysError,
  VerifierLogLevel,
  btfLoad,
  encodeProgLoadAttr,
  getProgInfo,
  mapCreate,
  native,
  progLoad,
  tryProgLoad,
  type ProgLoadAttr,
} from '../../src/sys/index.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { kernelAtLeast } from '../helpers/kernel.js';
import { BPFTOOL, CLANG, bpfAttrLayout, firstWrittenByte, kernelAttrFields, readUint } from './prog-load-attr-layout.js';

/** r0 = 0; exit */
const RETURN_ZERO = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
/** exit (r0 never written: the verifier refuses with "R0 !read_ok") */
const EXIT_ONLY = new Uint8Array([0x95, 0, 0, 0, 0, 0, 0, 0]);

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Minimal BTF: int, `int (void)` proto, static FUNC probe_fn; strings for a line_info record. */
function funcBtf(): { data: Uint8Array; fileOff: number; lineOff: number } {
  const strings = '\0int\0probe_fn\0t.c\0r0 = 0;\0';
  const types = Uint32Array.from([1, 1 << 24, 4, (1 << 24) | 32, 0, 13 << 24, 1, 5, 12 << 24, 2]);
  const str = new TextEncoder().encode(strings);
  const out = new Uint8Array(24 + types.byteLength + str.byteLength);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(12, types.byteLength, true);
  v.setUint32(16, types.byteLength, true);
  v.setUint32(20, str.byteLength, true);
  out.set(new Uint8Array(types.buffer), 24);
  out.set(str, 24 + types.byteLength);
  return { data: out, fileOff: strings.indexOf('t.c'), lineOff: strings.indexOf('r0 = 0;') };
}

describe('sys/prog-load: BPF_PROG_LOAD attr encoding', function () {
  const FIELDS: ReadonlyArray<readonly [string, keyof ProgLoadAttr]> = [
    ['prog_type', 'progType'],
    ['insn_cnt', 'insnCnt'],
    ['insns', 'insns'],
    ['license', 'license'],
    ['log_level', 'logLevel'],
    ['log_size', 'logSize'],
    ['log_buf', 'logBuf'],
    ['kern_version', 'kernVersion'],
    ['prog_flags', 'progFlags'],
    ['prog_ifindex', 'progIfindex'],
    ['expected_attach_type', 'expectedAttachType'],
    ['prog_btf_fd', 'progBtfFd'],
    ['func_info_rec_size', 'funcInfoRecSize'],
    ['func_info', 'funcInfo'],
    ['func_info_cnt', 'funcInfoCnt'],
    ['line_info_rec_size', 'lineInfoRecSize'],
    ['line_info', 'lineInfo'],
    ['line_info_cnt', 'lineInfoCnt'],
    ['attach_btf_id', 'attachBtfId'],
    ['attach_prog_fd', 'attachFd'],
    ['core_relo_cnt', 'coreReloCnt'],
    ['fd_array', 'fdArray'],
    ['core_relos', 'coreRelos'],
    ['core_relo_rec_size', 'coreReloRecSize'],
    ['log_true_size', 'logTrueSize'],
    ['prog_token_fd', 'progTokenFd'],
    ['fd_array_cnt', 'fdArrayCnt'],
    ['signature', 'signature'],
    ['signature_size', 'signatureSize'],
    ['keyring_id', 'keyringId'],
  ];

  it('puts every PROG_LOAD field where the running kernel (vmlinux BTF, via clang offsetof) has it', function () {
    this.timeout(120_000);
    requireTool(this, BPFTOOL);
    requireTool(this, CLANG);
    // Fields newer than the running kernel (the kernel matrix runs this on 6.1 and 6.12): the
    // encoder must put them after every field the kernel has, as the kernel appends new ones.
    const { present, missing } = kernelAttrFields(FIELDS.map(([c]) => c));
    const known = FIELDS.filter(([c]) => present.includes(c));
    const layout = bpfAttrLayout([...present, 'prog_name', 'attach_btf_obj_fd']);
    const kernelEnd = Math.max(...[...layout.values()].map((f) => f.offset + f.size));
    const values = new Map<string, bigint>();
    const attr: Record<string, unknown> = { progName: 'ab_c.9' };
    known.forEach(([c, ts], i) => {
      const size = layout.get(c)?.size;
      const value = size === 8 ? BigInt(i + 1) * 0x1_0000_0001n : BigInt((i + 1) * 0x101);
      values.set(c, value);
      attr[ts] = size === 8 ? value : Number(value);
    });
    for (const c of missing) {
      const ts = FIELDS.find(([name]) => name === c)![1];
      expect(firstWrittenByte((a) => encodeProgLoadAttr(a as unknown as ProgLoadAttr), attr, ts), `${c} (newer than this kernel)`).to.be.at.least(kernelEnd);
    }
    const bytes = encodeProgLoadAttr(attr as unknown as ProgLoadAttr);
    const covered = new Uint8Array(bytes.length);
    for (const [c] of known) {
      const f = layout.get(c);
      expect(f, c).to.not.equal(undefined);
      expect(readUint(bytes, f!.offset, f!.size), c).to.equal(values.get(c));
      covered.fill(1, f!.offset, f!.offset + f!.size);
    }
    const name = layout.get('prog_name')!;
    expect(new TextDecoder().decode(bytes.subarray(name.offset, name.offset + 6))).to.equal('ab_c.9');
    covered.fill(1, name.offset, name.offset + 6);
    // attach_btf_obj_fd shares attach_prog_fd's slot.
    expect(layout.get('attach_btf_obj_fd')).to.deep.equal(layout.get('attach_prog_fd'));
    if (missing.length === 0) expect(PROG_LOAD_ATTR_SIZE).to.equal(kernelEnd);
    else expect(PROG_LOAD_ATTR_SIZE).to.be.greaterThan(kernelEnd);
    bytes.forEach((b, i) => {
      if (covered[i] === 0) expect(b, `byte ${i} is in no field`).to.equal(0);
    });
  });

  it('refuses names the kernel would reject, naming the field', function () {
    expect(() => encodeProgLoadAttr({ progType: 1, progName: 'sixteen_chars_xx' }))
      .to.throw(AttrFieldError, "bpf_attr.prog_name: name 'sixteen_chars_xx' is 16 characters; the kernel allows at most 15")
      .with.property('field', 'prog_name');
    expect(() => encodeProgLoadAttr({ progType: 1, progName: 'a-b' })).to.throw(
      AttrFieldError,
      "bpf_attr.prog_name: name 'a-b' has '-' at 1; the kernel accepts only letters, digits, '_' and '.'",
    );
  });

  it('refuses values that do not fit their field', function () {
    expect(() => encodeProgLoadAttr({ progType: -1 })).to.throw(AttrFieldError, 'bpf_attr.prog_type: -1 is not a u32');
    expect(() => encodeProgLoadAttr({ progType: 1, insnCnt: 2 ** 32 })).to.throw(AttrFieldError, 'bpf_attr.insn_cnt: 4294967296 is not a u32');
    expect(() => encodeProgLoadAttr({ progType: 1, keyringId: 2 ** 31 })).to.throw(AttrFieldError, 'bpf_attr.keyring_id: 2147483648 is not an s32');
    expect(() => encodeProgLoadAttr({ progType: 1, insns: -1n })).to.throw(AttrFieldError, 'bpf_attr.insns: -1 is not a u64');
    expect(() => encodeProgLoadAttr({ progType: 1, insns: 1n << 64n })).to.throw(AttrFieldError, 'bpf_attr.insns: 18446744073709551616 is not a u64');
  });
});

describe('sys/prog-load: progLoad against the kernel', function () {
  before(function () {
    requirePrivileges(this);
  });

  it('loads a socket filter, returning its fd and the verifier log', function () {
    const before = openFds();
    const r = progLoad({ progType: ProgType.SOCKET_FILTER, insns: RETURN_ZERO, license: 'GPL', name: 'pl_ok', logLevel: VerifierLogLevel.BASIC | VerifierLogLevel.STATS });
    try {
      expect(r.fd).to.be.greaterThan(2);
      expect(r.log).to.match(/processed 2 insns/);
      // log_true_size is Linux 6.4+; an older kernel leaves it 0 (the kernel matrix's 6.1).
      expect(r.logTrueSize).to.equal(kernelAtLeast(6, 4) ? new TextEncoder().encode(r.log).length + 1 : 0);
      const info = getProgInfo(r.fd);
      expect(info.name).to.equal('pl_ok');
      expect(info.type).to.equal(ProgType.SOCKET_FILTER);
      expect(info.gplCompatible).to.equal(true);
    } finally {
      native().close(r.fd);
    }
    expect(openFds()).to.equal(before);
  });

  it('passes the license through (a non-GPL program is not gpl_compatible)', function () {
    const r = progLoad({ progType: ProgType.SOCKET_FILTER, insns: RETURN_ZERO, license: 'Proprietary' });
    try {
      expect(getProgInfo(r.fd).gplCompatible).to.equal(false);
      expect(r.log).to.equal('');
    } finally {
      native().close(r.fd);
    }
  });

  it('throws ProgLoadError with the verifier log when the verifier refuses', function () {
    const before = openFds();
    let caught: unknown;
    try {
      progLoad({ progType: ProgType.SOCKET_FILTER, insns: EXIT_ONLY, license: 'GPL', name: 'pl_bad', logLevel: 1 });
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(ProgLoadError).and.instanceOf(SysError);
    const e = caught as ProgLoadError;
    expect(e.code).to.equal('EACCES');
    expect(e.command).to.equal('BPF_PROG_LOAD');
    expect(e.log).to.match(/R0 !read_ok/);
    expect(e.message).to.match(/^BPF_PROG_LOAD 'pl_bad' failed \(EACCES\): .*; verifier: R0 !read_ok$/);
    expect(openFds()).to.equal(before);
  });

  it('reports ENOSPC and the size the log needs when the buffer is too small', function () {
    try {
      progLoad({ progType: ProgType.SOCKET_FILTER, insns: RETURN_ZERO, license: 'GPL', logLevel: VerifierLogLevel.VERBOSE, logSize: 128 });
      expect.fail('a 128-byte buffer cannot hold a verbose log');
    } catch (e) {
      expect(e).to.be.instanceOf(ProgLoadError);
      expect((e as ProgLoadError).code).to.equal('ENOSPC');
      if (kernelAtLeast(6, 4)) expect((e as ProgLoadError).logTrueSize).to.be.greaterThan(128);
      else expect((e as ProgLoadError).logTrueSize, 'no log_true_size before Linux 6.4').to.equal(0);
      expect((e as ProgLoadError).message).to.match(/^BPF_PROG_LOAD \(prog_type 1\) failed \(ENOSPC\)/);
    }
  });

  it('tryProgLoad reports failure as a value', function () {
    const r = tryProgLoad({ progType: ProgType.SOCKET_FILTER, insns: EXIT_ONLY, license: 'GPL', logBuffer: new Uint8Array(4096) });
    expect(r.ok).to.equal(false);
    if (!r.ok) {
      expect(r.errno).to.equal(13);
      expect(r.log).to.match(/R0 !read_ok/);
    }
  });

  it('sets expected_attach_type (cgroup_sock_addr needs it) and attach_btf_id (the kernel names the id)', function () {
    const without = tryProgLoad({ progType: ProgType.CGROUP_SOCK_ADDR, insns: new Uint8Array([0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]), license: 'GPL' });
    expect(without.ok).to.equal(false);
    const r = progLoad({
      progType: ProgType.CGROUP_SOCK_ADDR,
      expectedAttachType: AttachType.CGROUP_INET4_CONNECT,
      insns: new Uint8Array([0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]),
      license: 'GPL',
    });
    native().close(r.fd);
    // The kernel judges attach_btf_id 1 by the expected attach type: raw_tp wants a typedef, iter a function.
    const judged = (expectedAttachType: number): string => {
      const t = tryProgLoad({ progType: ProgType.TRACING, expectedAttachType, attachBtfId: 1, insns: RETURN_ZERO, license: 'GPL', logLevel: 1 });
      expect(t.ok).to.equal(false);
      return t.log;
    };
    expect(judged(AttachType.TRACE_RAW_TP)).to.contain('attach_btf_id 1 is not a typedef');
    expect(judged(AttachType.TRACE_ITER)).to.contain('attach_btf_id 1 is not a function');
  });

  it('passes prog_btf_fd, func_info and line_info records', function () {
    const btf = funcBtf();
    const { fd: btfFd } = btfLoad({ data: btf.data, logLevel: 1 });
    try {
      const funcInfo = new Uint8Array(new Uint32Array([0, 3]).buffer);
      const lineInfo = new Uint8Array(new Uint32Array([0, btf.fileOff, btf.lineOff, (1 << 10) | 1]).buffer);
      const r = progLoad({
        progType: ProgType.SOCKET_FILTER,
        insns: RETURN_ZERO,
        license: 'GPL',
        progBtfFd: btfFd,
        funcInfo: { data: funcInfo, recSize: 8 },
        lineInfo: { data: lineInfo, recSize: 16 },
        logLevel: 1,
      });
      try {
        const info = getProgInfo(r.fd);
        expect(info.nrFuncInfo).to.equal(1);
        expect(info.nrLineInfo).to.equal(1);
        expect(info.funcInfoRecSize).to.equal(8);
        expect(info.lineInfoRecSize).to.equal(16);
        expect(info.btfId).to.be.greaterThan(0);
      } finally {
        native().close(r.fd);
      }
    } finally {
      native().close(btfFd);
    }
  });

  it('passes fd_array (BPF_PSEUDO_MAP_IDX) and fd_array_cnt (binds maps the code does not use)', function () {
    const mapFd = mapCreate({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: 'pl_fdarr' });
    try {
      // r1 = map_by_idx(0) (ld_imm64 with src_reg BPF_PSEUDO_MAP_IDX = 5); r0 = 0; exit
      const insns = new Uint8Array([0x18, 0x51, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...RETURN_ZERO]);
      const byIndex = progLoad({ progType: ProgType.SOCKET_FILTER, insns, license: 'GPL', fdArray: [mapFd] });
      const mapId = (() => {
        try {
          return getProgInfo(byIndex.fd, { mapIds: true }).mapIds;
        } finally {
          native().close(byIndex.fd);
        }
      })();
      expect(mapId).to.have.length(1);
      if (!kernelAtLeast(6, 14)) {
        // fd_array_cnt is Linux 6.14+: an older kernel refuses the non-zero field it does not have
        // (E2BIG past the end of its bpf_attr, EINVAL inside it).
        expect(() => progLoad({ progType: ProgType.SOCKET_FILTER, insns: RETURN_ZERO, license: 'GPL', fdArray: Int32Array.of(mapFd), fdArrayCnt: 1 }))
          .to.throw(ProgLoadError)
          .with.property('code')
          .that.is.oneOf(['E2BIG', 'EINVAL']);
        return;
      }
      const bound = progLoad({ progType: ProgType.SOCKET_FILTER, insns: RETURN_ZERO, license: 'GPL', fdArray: Int32Array.of(mapFd), fdArrayCnt: 1 });
      try {
        expect(getProgInfo(bound.fd, { mapIds: true }).mapIds).to.deep.equal(mapId);
      } finally {
        native().close(bound.fd);
      }
    } finally {
      native().close(mapFd);
    }
  });

  it('refuses malformed options before calling the kernel', function () {
    expect(() => tryProgLoad({ progType: 1, insns: new Uint8Array(12), license: 'GPL' })).to.throw(
      AttrFieldError,
      'bpf_attr.insns: 12 bytes is not a whole number of 8-byte instructions',
    );
    expect(() => tryProgLoad({ progType: 1, insns: RETURN_ZERO, license: 'GPL', logSize: 64 })).to.throw(
      AttrFieldError,
      "bpf_attr.log_size: 64 bytes is below the kernel's minimum of 128",
    );
    expect(() => tryProgLoad({ progType: 1, insns: RETURN_ZERO, license: 'GPL', attachProgFd: 3, attachBtfObjFd: 4 })).to.throw(
      AttrFieldError,
      'bpf_attr.attach_prog_fd: attach_prog_fd and attach_btf_obj_fd share one field: give only one',
    );
    expect(() => tryProgLoad({ progType: 1, insns: RETURN_ZERO, license: 'GPL', funcInfo: { data: new Uint8Array(12), recSize: 8 } })).to.throw(
      AttrFieldError,
      'bpf_attr.func_info: 12 bytes is not a whole number of 8-byte records',
    );
  });

  it('btfLoad throws BtfLoadError with the kernel BTF log for invalid BTF', function () {
    const bad = funcBtf().data;
    // Point FUNC probe_fn's type at id 9, which does not exist.
    new DataView(bad.buffer).setUint32(24 + 9 * 4, 9, true);
    try {
      btfLoad({ data: bad, logLevel: 1 });
      expect.fail('the kernel must refuse a FUNC with a dangling type');
    } catch (e) {
      expect(e).to.be.instanceOf(BtfLoadError).and.instanceOf(SysError);
      const err = e as BtfLoadError;
      expect(err.code).to.equal('EINVAL');
      expect(err.log).to.match(/Invalid type_id/);
      expect(err.message).to.match(/^BPF_BTF_LOAD \(\d+ bytes\) failed \(EINVAL\): .*; BTF log: /);
    }
    expect(() => btfLoad({ data: new Uint8Array(0) })).to.throw(AttrFieldError, 'bpf_attr.btf: no BTF bytes given');
    expect(() => btfLoad({ data: bad, logSize: 100 })).to.throw(AttrFieldError, "bpf_attr.btf_log_size: 100 bytes is below the kernel's minimum of 128");
  });
});
