/**
 * struct_ops maps (bpf/struct_ops.bpf.c: TCP congestion controls): the value laid out in the
 * kernel's `bpf_struct_ops_tcp_congestion_ops` (checked against vmlinux BTF read independently),
 * `?.struct_ops` maps not created, the errors for an object whose struct does not fit the
 * kernel's, and the whole path (load, register, unregister). Unlike fentry/lsm, struct_ops
 * programs load and register on the 6.18 VM: their trampolines are not ftrace direct calls, which
 * is what this kernel refuses.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadKernelBtf, type BtfComposite } from '../../src/btf/index.js';
import { loadObject, loadObjectSync, LoadError, parseObjectSpec, structOpsKernelBtfs, structOpsLayout, type ObjectSpec } from '../../src/loader/index.js';
import { kernelFacts } from '../../src/loader/kernel-facts.js';
import { attachStructOps } from '../../src/links/index.js';
import { getMapInfo, mapGetFdById, objectIds } from '../../src/sys/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';

const OBJECT = join(BPF_DIR, 'struct_ops.bpf.o');
const CC_LIST = '/proc/sys/net/ipv4/tcp_available_congestion_control';

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

function availableCongestionControls(): string[] {
  return readFileSync(CC_LIST, 'utf8').trim().split(/\s+/);
}

/** Kernel maps whose name starts with `prefix` (other processes' maps are not counted). */
function kernelMapsNamed(prefix: string): string[] {
  const out: string[] = [];
  for (const id of objectIds('map')) {
    try {
      using fd = mapGetFdById(id);
      const name = getMapInfo(fd).name;
      if (name.startsWith(prefix)) out.push(name);
    } catch {
      // freed meanwhile
    }
  }
  return out;
}

/**
 * The object with one string of its `.BTF` string table renamed (same length), so its struct no
 * longer matches the kernel's. The string table is the object's own: only its types change.
 */
function objectWithRenamedBtfString(from: string, to: string): ObjectSpec {
  const bytes = new Uint8Array(readFileSync(OBJECT));
  const v = new DataView(bytes.buffer);
  // `.BTF` header: magic 0xeb9f, version 1, hdr_len 24 (`.BTF.ext` has 32).
  let at = -1;
  for (let i = 0; i + 24 <= bytes.length; i += 4) {
    if (v.getUint16(i, true) === 0xeb9f && bytes[i + 2] === 1 && v.getUint32(i + 4, true) === 24) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new Error('no .BTF in the object');
  const strStart = at + 24 + v.getUint32(at + 16, true);
  const strLen = v.getUint32(at + 20, true);
  const table = bytes.subarray(strStart, strStart + strLen);
  const needle = Buffer.from(`\0${from}\0`);
  const idx = Buffer.from(table).indexOf(needle);
  if (idx < 0) throw new Error(`no string '${from}' in the object's BTF`);
  table.set(Buffer.from(to), idx + 1);
  return parseObjectSpec(bytes, { fileName: 'struct_ops.bpf.o' });
}

describe('struct_ops maps', function () {
  this.timeout(60_000);

  it("lays out 'bpf_ts_cc' in the kernel's bpf_struct_ops_tcp_congestion_ops (checked against vmlinux BTF)", async function () {
    const spec = parseObjectSpec(new Uint8Array(readFileSync(OBJECT)), { fileName: 'struct_ops.bpf.o' });
    const map = spec.maps.find((m) => m.name === 'bpf_ts_cc');
    if (map === undefined || spec.btf === undefined) throw new Error('no bpf_ts_cc');
    const layout = structOpsLayout(map, spec.btf, structOpsKernelBtfs(kernelFacts()));

    const k = loadKernelBtf();
    const kernId = k.findByName('tcp_congestion_ops', 'STRUCT')[0];
    const wrapId = k.findByName('bpf_struct_ops_tcp_congestion_ops', 'STRUCT')[0];
    if (kernId === undefined || wrapId === undefined) throw new Error('vmlinux lacks the types');
    const kern = k.typeById(kernId) as BtfComposite;
    const wrap = k.typeById(wrapId) as BtfComposite;
    const data = wrap.members.find((m) => m.name === 'data');
    if (data === undefined) throw new Error('no data member');
    expect(layout.module).to.equal(undefined);
    expect(layout.kernTypeId).to.equal(kernId);
    expect(layout.valueTypeId).to.equal(wrapId);
    expect(layout.valueSize).to.equal(wrap.size);
    expect(layout.value.length).to.equal(wrap.size);
    expect(layout.dataOffset).to.equal(data.bitOffset / 8);

    const kernMember = (name: string): { offset: number; size: number; index: number } => {
      const index = kern.members.findIndex((m) => m.name === name);
      const m = kern.members[index];
      if (m === undefined) throw new Error(`kernel lacks ${name}`);
      return { offset: data.bitOffset / 8 + m.bitOffset / 8, size: k.sizeOf(m.type), index };
    };
    // The data members of the object's struct (pointers are not data; `owner` has no program).
    expect(layout.dataMembers.map((m) => m.name).sort()).to.deep.equal(['flags', 'key', 'list', 'name']);
    for (const m of layout.dataMembers) {
      const want = kernMember(m.name);
      expect({ offset: m.offset, size: m.size }, m.name).to.deep.equal({ offset: want.offset, size: want.size });
    }
    const name = kernMember('name');
    expect(Buffer.from(layout.value.subarray(name.offset, name.offset + name.size)).toString('latin1')).to.equal('bpf_ts_cc'.padEnd(16, '\0'));
    // Everything outside `name` is zero: pointers get fds only after the programs load.
    const rest = [...layout.value.subarray(0, name.offset), ...layout.value.subarray(name.offset + name.size)];
    expect(rest.every((b) => b === 0)).to.equal(true);

    expect(layout.programs.map((p) => [p.member, p.program])).to.deep.equal([
      ['ssthresh', 'bpf_ts_ssthresh'],
      ['cong_avoid', 'bpf_ts_cong_avoid'],
      ['undo_cwnd', 'bpf_ts_undo_cwnd'],
      ['init', 'bpf_ts_init'],
    ].sort((a, b) => kernMember(a[0] as string).index - kernMember(b[0] as string).index));
    for (const p of layout.programs) {
      const want = kernMember(p.member);
      expect({ index: p.memberIndex, offset: p.offset }, p.member).to.deep.equal({ index: want.index, offset: want.offset });
    }
  });

  it("an unknown kernel struct is a LoadError naming the map and the type", function () {
    requirePrivileges(this);
    const before = fdCount();
    const spec = objectWithRenamedBtfString('tcp_congestion_ops', 'tcp_congestion_opz');
    let err: unknown;
    try {
      loadObjectSync(spec).close();
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(LoadError);
    expect((err as LoadError).map).to.equal('bpf_ts_cc');
    expect((err as Error).message).to.equal("struct_ops.bpf.o: map 'bpf_ts_cc': struct_ops type 'struct tcp_congestion_opz' not found in kernel BTF");
    expect(fdCount()).to.equal(before);
  });

  it('a nonzero data member missing in the kernel type is a LoadError; a zero one is skipped', async function () {
    requirePrivileges(this);
    const before = fdCount();
    // `name` is set ("bpf_ts_cc"): renamed, the kernel has no such member.
    const err = await loadObject(objectWithRenamedBtfString('name', 'nbme')).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(LoadError);
    expect((err as Error).message).to.equal("struct_ops.bpf.o: map 'bpf_ts_cc': member 'nbme' of 'struct tcp_congestion_ops' is set in the object but not in the kernel's type");
    expect(fdCount()).to.equal(before);
    // `key` is zero in every value: renamed, it is skipped as libbpf does, and the object loads.
    const obj = await loadObject(objectWithRenamedBtfString('key', 'kez'));
    try {
      expect([...obj.maps.keys()]).to.deep.equal(['bpf_ts_cc', 'bpf_ts_cc_legacy']);
    } finally {
      obj.close();
    }
    expect(fdCount()).to.equal(before);
  });

  it("loads: the '?.struct_ops' map is not created; each program loads once for the maps that use it", async function () {
    requirePrivileges(this);
    const before = fdCount();
    const obj = await loadObject(OBJECT);
    try {
      expect([...obj.maps.keys()]).to.deep.equal(['bpf_ts_cc', 'bpf_ts_cc_legacy']);
      expect(obj.structOps('bpf_ts_cc_off')).to.equal(undefined);
      expect(kernelMapsNamed('bpf_ts_cc_off')).to.deep.equal([]);
      expect([...obj.programs.keys()]).to.deep.equal(['bpf_ts_init', 'bpf_ts_ssthresh', 'bpf_ts_cong_avoid', 'bpf_ts_undo_cwnd']);
      const info = obj.map('bpf_ts_cc')?.info();
      const wrap = loadKernelBtf().findByName('bpf_struct_ops_tcp_congestion_ops', 'STRUCT')[0] ?? 0;
      expect(info?.keySize).to.equal(4);
      expect(info?.valueSize).to.equal(loadKernelBtf().sizeOf(wrap));
      expect(info?.mapFlags).to.equal(1 << 13);
      expect(obj.map('bpf_ts_cc_legacy')?.info().mapFlags).to.equal(0);
    } finally {
      obj.close();
    }
    expect(fdCount()).to.equal(before);
  });

  it('.struct_ops.link: attachStructOps registers through a bpf_link; closing it unregisters', async function () {
    requirePrivileges(this);
    const before = fdCount();
    const obj = await loadObject(OBJECT);
    try {
      // Loading alone registers nothing (the link map's value is written, not registered).
      expect(availableCongestionControls()).to.not.include('bpf_ts_cc');
      const ops = obj.structOps('bpf_ts_cc');
      if (ops === undefined) throw new Error('no bpf_ts_cc');
      const link = attachStructOps(ops);
      try {
        expect(link.isBpfLink).to.equal(true);
        expect(availableCongestionControls()).to.include('bpf_ts_cc');
      } finally {
        link.close();
      }
      expect(availableCongestionControls()).to.not.include('bpf_ts_cc');
    } finally {
      obj.close();
    }
    expect(fdCount()).to.equal(before);
  });

  it('.struct_ops: attachStructOps registers by the map update; closing the link deletes the element', async function () {
    requirePrivileges(this);
    const spec = parseObjectSpec(new Uint8Array(readFileSync(OBJECT)), { fileName: 'struct_ops.bpf.o' });
    const legacy = spec.maps.find((m) => m.name === 'bpf_ts_cc_legacy')?.structOps;
    const btf = spec.btf;
    if (legacy === undefined || btf === undefined) throw new Error('no bpf_ts_cc_legacy');
    // "bpf_ts_cc_legacy" fills all 16 bytes of `name`, which the kernel refuses (no NUL):
    // a shorter name makes it registrable.
    const nameMember = (btf.typeById(legacy.typeId) as BtfComposite).members.find((m) => m.name === 'name');
    if (nameMember === undefined) throw new Error('no name member');
    legacy.data.set(Buffer.from('bpf_ts_legacy'.padEnd(16, '\0')), nameMember.bitOffset / 8);
    const before = fdCount();
    const obj = await loadObject(spec);
    try {
      expect(availableCongestionControls()).to.not.include('bpf_ts_legacy');
      const ops = obj.structOps('bpf_ts_cc_legacy');
      if (ops === undefined) throw new Error('no bpf_ts_cc_legacy');
      const link = attachStructOps(ops);
      try {
        expect(link.isBpfLink).to.equal(false);
        expect(availableCongestionControls()).to.include('bpf_ts_legacy');
      } finally {
        link.close();
      }
      expect(availableCongestionControls()).to.not.include('bpf_ts_legacy');
    } finally {
      obj.close();
    }
    expect(fdCount()).to.equal(before);
  });
});

