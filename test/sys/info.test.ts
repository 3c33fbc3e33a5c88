import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachType,
  btfGetFdById,
  getBtfInfo,
  getFdById,
  getLinkInfo,
  getMapInfo,
  getNextId,
  getProgInfo,
  linkGetFdById,
  mapGetFdById,
  MapTypeName,
  objectIds,
  ObjectNotFoundError,
  objGet,
  progGetFdById,
  ProgTypeName,
  readFdInfo,
  SysError,
  type BpfObjectKind,
  type OwnedFd,
} from '../../src/sys/index.js';
import { BPF_DIR, REPO_ROOT } from '../helpers/paths.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { bpftool, BPFTOOL, cgroupSkbLink, rawTracepointOpen, ShowFixture } from './show-fixture.js';

interface BpftoolProg {
  id: number; type: string; name: string; tag: string; gpl_compatible: boolean; uid: number;
  bytes_xlated: number; bytes_jited: number; bytes_memlock: number; map_ids: number[]; btf_id: number;
}
interface BpftoolMap {
  id: number; type: string; name: string; flags: number; bytes_key: number; bytes_value: number; max_entries: number; btf_id: number; bytes_memlock: number;
}

describe('sys/ids + sys/info: object ids, fds and info structs (kernel)', function () {
  let fx: ShowFixture;
  const opened: OwnedFd[] = [];
  const track = <T extends OwnedFd>(fd: T): T => {
    opened.push(fd);
    return fd;
  };

  before(function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
    fx = ShowFixture.load('sysinfo');
  });
  afterEach(() => {
    for (const fd of opened.splice(0)) fd.close();
  });
  after(() => fx?.remove());

  it('lists ids in increasing order, including the loaded programs and maps', () => {
    const progs = [...objectIds('prog')];
    expect(progs).to.deep.equal([...progs].sort((a, b) => a - b));
    for (const id of fx.progIds.values()) expect(progs).to.include(id);
    const maps = [...objectIds('map')];
    for (const id of fx.mapIds.values()) expect(maps).to.include(id);
    expect([...objectIds('btf')]).to.include(1);
    expect(getNextId('prog', 0x7fff_fffe)).to.equal(undefined);
  });

  for (const kind of ['prog', 'map', 'link', 'btf'] as const satisfies readonly BpfObjectKind[]) {
    it(`reports a missing ${kind} id as ObjectNotFoundError naming the id`, () => {
      const id = 0x7fff_fff0;
      try {
        track(getFdById(kind, id));
        expect.fail('expected ObjectNotFoundError');
      } catch (e) {
        expect(e).to.be.instanceOf(ObjectNotFoundError);
        expect(e).to.be.instanceOf(SysError);
        const err = e as ObjectNotFoundError;
        expect(err.kind).to.equal(kind);
        expect(err.id).to.equal(id);
        expect(err.code).to.equal('ENOENT');
        expect(err.errno).to.equal(2);
        expect(err.message).to.match(new RegExp(`^no (program|map|link|BTF object) with id ${id} \\(BPF_${kind.toUpperCase()}_GET_FD_BY_ID failed: ENOENT\\)$`));
      }
    });
  }

  it('decodes bpf_prog_info as bpftool reports it', () => {
    for (const [name, id] of fx.progIds) {
      const fd = track(progGetFdById(id));
      const info = getProgInfo(fd, { mapIds: true });
      const ref = JSON.parse(bpftool('-j', 'prog', 'show', 'id', String(id))) as BpftoolProg;
      expect(info.id).to.equal(id);
      expect(ProgTypeName.get(info.type)).to.equal(ref.type);
      // The kernel keeps 15 bytes of the name; bpftool shows the full one from BTF.
      expect(ref.name.startsWith(info.name)).to.equal(true, `${ref.name} vs ${info.name}`);
      expect(info.name).to.equal(name.slice(0, 15));
      expect(info.tag).to.equal(ref.tag);
      expect(info.gplCompatible).to.equal(ref.gpl_compatible);
      expect(info.createdByUid).to.equal(ref.uid);
      expect(info.xlatedProgLen).to.equal(ref.bytes_xlated);
      expect(info.jitedProgLen).to.equal(ref.bytes_jited);
      expect(info.btfId).to.equal(ref.btf_id);
      expect(info.mapIds).to.deep.equal(ref.map_ids ?? []);
      expect(info.loadTime > 0n).to.equal(true);
      expect(Number(readFdInfo(fd).get('memlock'))).to.equal(ref.bytes_memlock);
      expect(readFdInfo(fd).get('prog_tag')).to.equal(ref.tag);
    }
  });

  it('fetches xlated instructions identical to bpftool dump xlated ... file, and the JIT image', () => {
    const id = fx.progId('show_socket_filter_with_long_name');
    const info = getProgInfo(track(progGetFdById(id)), { xlatedInsns: true, jitedInsns: true, jitedKsyms: true, jitedFuncLens: true });
    const dir = mkdtempSync(join(tmpdir(), 'bpfts-dump-'));
    try {
      bpftool('prog', 'dump', 'xlated', 'id', String(id), 'file', join(dir, 'x'));
      expect(Buffer.from(info.xlatedInsns ?? []).equals(readFileSync(join(dir, 'x')))).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(info.xlatedInsns?.byteLength).to.equal(info.xlatedProgLen);
    // This bpftool has no libbfd to dump JITed code: check the image against the info's sizes.
    expect(info.jitedInsns?.byteLength).to.equal(info.jitedProgLen);
    expect(info.jitedKsyms).to.have.length(info.nrJitedKsyms).and.length.greaterThan(0);
    expect(info.jitedKsyms?.every((a) => a >= 0xffff_8000_0000_0000n)).to.equal(true);
    expect(info.jitedFuncLens?.reduce((a, b) => a + b, 0)).to.equal(info.jitedProgLen);
  });

  it('returns requested arrays a program does not have as empty', () => {
    const info = getProgInfo(track(progGetFdById(fx.progId('show_cgroup_skb'))), { mapIds: true });
    expect(info.nrMapIds).to.equal(0);
    expect(info.mapIds).to.deep.equal([]);
  });

  it('fetches func_info and line_info records that point into the program BTF', () => {
    const id = fx.progId('show_xdp');
    const info = getProgInfo(track(progGetFdById(id)), { funcInfo: true, lineInfo: true, jitedLineInfo: true, progTags: true });
    expect(info.funcInfo).to.have.length(info.nrFuncInfo).and.length.greaterThan(0);
    expect(info.funcInfo?.[0]?.insnOff).to.equal(0);
    expect(info.lineInfo).to.have.length(info.nrLineInfo).and.length.greaterThan(0);
    expect(info.lineInfo?.every((l) => l.fileNameOff > 0)).to.equal(true);
    const offs = info.lineInfo?.map((l) => l.insnOff) ?? [];
    expect(offs).to.deep.equal([...offs].sort((a, b) => a - b));
    // The first line record is the function's own line in the C source.
    const source = readFileSync(join(BPF_DIR, 'show', 'show.bpf.c'), 'utf8').split('\n');
    expect(info.lineInfo?.[0]?.line).to.equal(source.findIndex((l) => l.startsWith('int show_xdp(')) + 1);
    expect(info.jitedLineInfo).to.have.length(info.nrJitedLineInfo);
    expect(info.progTags).to.have.length(info.nrProgTags);
    // The FUNC type of func_info[0] is the program itself.
    const btf = getBtfInfo(track(btfGetFdById(info.btfId)), { data: true });
    const raw = execFileSync(BPFTOOL, ['btf', 'dump', 'id', String(info.btfId)], { encoding: 'utf8' });
    expect(raw).to.include(`[${info.funcInfo?.[0]?.typeId}] FUNC 'show_xdp'`);
    expect(btf.data?.byteLength).to.equal(btf.btfSize);
  });

  it('decodes bpf_map_info as bpftool reports it', () => {
    for (const id of fx.mapIds.values()) {
      const fd = track(mapGetFdById(id));
      const info = getMapInfo(fd);
      const ref = JSON.parse(bpftool('-j', 'map', 'show', 'id', String(id))) as BpftoolMap;
      expect(info.id).to.equal(id);
      expect(MapTypeName.get(info.type)).to.equal(ref.type);
      expect(info.name).to.equal(ref.name);
      expect(info.mapFlags).to.equal(ref.flags);
      expect(info.keySize).to.equal(ref.bytes_key);
      expect(info.valueSize).to.equal(ref.bytes_value);
      expect(info.maxEntries).to.equal(ref.max_entries);
      expect(info.btfId).to.equal(ref.btf_id);
      expect(info.btfKeyTypeId).to.be.greaterThan(0);
      expect(Number(readFdInfo(fd).get('memlock'))).to.equal(ref.bytes_memlock);
    }
  });

  it('reads vmlinux BTF byte for byte as /sys/kernel/btf/vmlinux has it', () => {
    const info = getBtfInfo(track(btfGetFdById(1)), { data: true });
    expect(info.name).to.equal('vmlinux');
    expect(info.kernelBtf).to.equal(true);
    const file = readFileSync('/sys/kernel/btf/vmlinux');
    expect(info.btfSize).to.equal(file.byteLength);
    expect(Buffer.from(info.data ?? []).equals(file)).to.equal(true);
    const noData = getBtfInfo(track(btfGetFdById(1)));
    expect(noData.data).to.equal(undefined);
    expect(noData.btfSize).to.equal(file.byteLength);
  });

  it('reads the program BTF of a loaded object: anonymous, not kernel BTF, valid header', () => {
    const info = getProgInfo(track(progGetFdById(fx.progId('show_xdp'))));
    const btf = getBtfInfo(track(btfGetFdById(info.btfId)), { data: true });
    expect(btf.id).to.equal(info.btfId);
    expect(btf.name).to.equal('');
    expect(btf.kernelBtf).to.equal(false);
    const ref = (JSON.parse(bpftool('-j', 'btf', 'show', 'id', String(info.btfId))) as { size: number }).size;
    expect(btf.btfSize).to.equal(ref);
    const view = new DataView(btf.data!.buffer, btf.data!.byteOffset);
    expect(view.getUint16(0, true)).to.equal(0xeb9f);
  });

  it('decodes raw_tracepoint and cgroup bpf_link_info as bpftool reports them', () => {
    const rawTp = track(rawTracepointOpen(track(objGet(fx.path('show_raw_tp'))), 'sys_enter'));
    const cg = cgroupSkbLink(track(objGet(fx.path('show_cgroup_skb'))));
    try {
      const rawInfo = getLinkInfo(rawTp);
      expect(rawInfo.progId).to.equal(fx.progId('show_raw_tp'));
      expect(rawInfo.details).to.deep.equal({ kind: 'raw_tracepoint', tpName: 'sys_enter', cookie: 0n });
      const ref = JSON.parse(bpftool('-j', 'link', 'show', 'id', String(rawInfo.id))) as { type: string; prog_id: number; tp_name: string };
      expect(ref).to.include({ type: 'raw_tracepoint', prog_id: rawInfo.progId, tp_name: 'sys_enter' });

      const cgInfo = getLinkInfo(cg.link);
      expect(cgInfo.progId).to.equal(fx.progId('show_cgroup_skb'));
      // A cgroup v2 id is its kernfs inode number.
      expect(cgInfo.details).to.deep.equal({ kind: 'cgroup', cgroupId: BigInt(statSync(cg.cgroup).ino), attachType: AttachType.CGROUP_INET_INGRESS });
      const byId = track(linkGetFdById(cgInfo.id));
      expect(getLinkInfo(byId).id).to.equal(cgInfo.id);
      const cgRef = JSON.parse(bpftool('-j', 'link', 'show', 'id', String(cgInfo.id))) as { cgroup_id: number; attach_type: string };
      expect(cgRef.cgroup_id).to.equal(Number(statSync(cg.cgroup).ino));
      expect(cgRef.attach_type).to.equal('cgroup_inet_ingress');
    } finally {
      cg.close();
    }
  });

  it('says what to do when listing objects is not permitted (EPERM hint)', function () {
    const script = `import('${join(REPO_ROOT, 'dist/src/sys/index.js')}').then((m) => { try { m.getNextId('prog', 0); console.log('no error'); } catch (e) { console.log(e.constructor.name + ': ' + e.message); } });`;
    const dir = mkdtempSync(join(tmpdir(), 'bpfts-eperm-'));
    chmodSync(dir, 0o755);
    try {
      writeFileSync(join(dir, 'x.mjs'), script);
      const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(dir, 'x.mjs')], { encoding: 'utf8' });
      expect(out.trim()).to.match(/^SysError: BPF_PROG_GET_NEXT_ID failed \(EPERM\): .*Operation not permitted: needs root \(CAP_SYS_ADMIN\): listing BPF objects is not allowed to unprivileged users$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
