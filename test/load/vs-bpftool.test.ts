/**
 * Every loadable object of bpf/ loaded by bpf-ts and by libbpf (bpftool prog loadall, a test-only
 * reference): same programs (type, xlated instruction count, attach BTF id, func/line info
 * counts, BTF or not) and the same maps reachable from them (type, sizes, max_entries, flags,
 * name, frozen).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadObject, LoadError } from '../../src/loader/index.js';
import { getMapInfo, getProgInfo, mapGetFdById, objGet, readFdInfo, type OwnedFd } from '../../src/sys/index.js';
import { VerifierError } from '../../src/verifier-log/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { bpffsTempDir } from '../helpers/bpffs.js';

const BPFTOOL = '/usr/sbin/bpftool';
/** `BPF_F_MMAPABLE`. */
const MMAPABLE = 1 << 10;

interface ProgSnapshot {
  readonly type: number;
  readonly xlatedInsns: number;
  readonly attachBtfId: number;
  readonly hasBtf: boolean;
  readonly funcInfo: number;
  readonly lineInfo: number;
  readonly maps: readonly string[];
}
interface MapSnapshot {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly frozen: string | undefined;
  readonly hasBtf: boolean;
}
interface Snapshot {
  readonly programs: Record<string, ProgSnapshot>;
  readonly maps: Record<string, MapSnapshot>;
}

function snapshot(progs: ReadonlyMap<string, OwnedFd | number>): Snapshot {
  const programs: Record<string, ProgSnapshot> = {};
  const maps: Record<string, MapSnapshot> = {};
  for (const [name, fd] of progs) {
    const info = getProgInfo(fd, { mapIds: true });
    const mapNames: string[] = [];
    for (const id of info.mapIds ?? []) {
      const m = mapGetFdById(id);
      try {
        const mi = getMapInfo(m);
        mapNames.push(mi.name);
        maps[mi.name] = {
          type: mi.type,
          keySize: mi.keySize,
          valueSize: mi.valueSize,
          maxEntries: mi.maxEntries,
          flags: mi.mapFlags,
          frozen: readFdInfo(m).get('frozen'),
          hasBtf: mi.btfId !== 0,
        };
      } finally {
        m.close();
      }
    }
    programs[name] = {
      type: info.type,
      xlatedInsns: info.xlatedProgLen / 8,
      attachBtfId: info.attachBtfId,
      hasBtf: info.btfId !== 0,
      funcInfo: info.nrFuncInfo,
      lineInfo: info.nrLineInfo,
      maps: mapNames.sort(),
    };
  }
  return { programs, maps };
}

/** libbpf's view: bpftool prog loadall, then the pinned programs. Undefined when libbpf fails. */
function libbpfSnapshot(object: string): Snapshot | undefined {
  const dir = bpffsTempDir('bpfts-ref-');
  const pinnedBefore = new Set(readdirSync('/sys/fs/bpf'));
  try {
    try {
      execFileSync(BPFTOOL, ['prog', 'loadall', object, dir], { stdio: 'pipe' });
    } catch {
      return undefined;
    }
    const fds = new Map<string, OwnedFd>();
    try {
      for (const name of readdirSync(dir)) fds.set(name, objGet(join(dir, name)));
      return snapshot(fds);
    } finally {
      for (const fd of fds.values()) fd.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    // Maps libbpf pinned by name land in /sys/fs/bpf itself, as files. Directories that appeared
    // meanwhile belong to tests running at the same time (their mkdtemp roots): leave them.
    for (const name of readdirSync('/sys/fs/bpf')) {
      const at = join('/sys/fs/bpf', name);
      if (!pinnedBefore.has(name) && !statSync(at, { throwIfNoEntry: false })?.isDirectory()) rmSync(at, { force: true });
    }
  }
}

/** Objects of bpf/ meant to load on this kernel. */
const LOADABLE = [
  'minimal.bpf.o',
  'maps.bpf.o',
  'globals.bpf.o',
  'subprogs.bpf.o',
  'core.bpf.o',
  'c-dump/enums.bpf.o',
  'c-dump/layout.bpf.o',
  'c-dump/names.bpf.o',
  'core/bitfields.bpf.o',
  'core/enums.bpf.o',
  'core/fields.bpf.o',
  'core/matches.bpf.o',
  'core/type_matches.bpf.o',
  'core/types.bpf.o',
  'elf-asm/isa-v4.bpf.o',
  'elf-asm/programs.bpf.o',
  'maps-api/values.bpf.o',
  'show/metadata.bpf.o',
  'show/show.bpf.o',
  'spec/loadable.bpf.o',
  'verifier/stack_indirect_read.bpf.o',
  'verifier/stack_read.bpf.o',
  ...(existsSync(join(BPF_DIR, 'load')) ? readdirSync(join(BPF_DIR, 'load')).filter((f) => f.endsWith('.bpf.o') && !f.startsWith('bad_')).map((f) => `load/${f}`) : []),
];

describe('loadObject vs libbpf (bpftool prog loadall)', function () {
  this.timeout(120_000);
  before(function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
  });

  for (const rel of LOADABLE) {
    it(`${rel}: same programs and maps as libbpf`, async function () {
      const object = join(BPF_DIR, rel);
      const ref = libbpfSnapshot(object);
      expect(ref, 'libbpf loads it').to.not.equal(undefined);
      const pinRoot = bpffsTempDir('bpfts-pins-');
      try {
        using obj = await loadObject(object, { pinRoot });
        const ours = snapshot(new Map([...obj.programs].map(([n, p]) => [n, p.fd])));
        expect(ours.programs).to.deep.equal(ref?.programs);
        // The reference is libbpf 1.1, which makes every internal map BPF_F_MMAPABLE; libbpf
        // 1.3+ (map_is_mmapable()), and bpf-ts, only those with a non-static variable. Internal
        // maps are compared without that bit, and ours must carry exactly the spec's flags.
        const internal = new Set(obj.spec.maps.filter((m) => m.internal).map((m) => m.name));
        const withoutMmapable = (maps: Record<string, MapSnapshot> | undefined): Record<string, MapSnapshot> =>
          Object.fromEntries(Object.entries(maps ?? {}).map(([n, m]) => [n, internal.has(n) ? { ...m, flags: m.flags & ~MMAPABLE } : m]));
        expect(withoutMmapable(ours.maps)).to.deep.equal(withoutMmapable(ref?.maps));
        for (const m of obj.spec.maps) if (ours.maps[m.name] !== undefined) expect(ours.maps[m.name]?.flags, m.name).to.equal(m.flags);
      } finally {
        rmSync(pinRoot, { recursive: true, force: true });
      }
    });
  }

  it('legacy_maps.bpf.o: libbpf 1.x refuses legacy SEC("maps"); bpf-ts creates them as the spec defines them', async function () {
    const object = join(BPF_DIR, 'legacy_maps.bpf.o');
    expect(libbpfSnapshot(object)).to.equal(undefined);
    using obj = await loadObject(object);
    const ours = snapshot(new Map([...obj.programs].map(([n, p]) => [n, p.fd])));
    for (const m of obj.spec.maps) {
      expect(ours.maps[m.name], m.name).to.deep.include({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags });
    }
    expect(Object.keys(ours.programs)).to.deep.equal(obj.spec.programs.map((p) => p.name));
  });

  it('externs.bpf.o: both refuse it: this kernel has no bpf_prog_active symbol', async function () {
    const object = join(BPF_DIR, 'externs.bpf.o');
    expect(libbpfSnapshot(object)).to.equal(undefined);
    const err = await loadObject(object).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(LoadError);
    expect((err as LoadError).extern).to.equal('bpf_prog_active');
    expect((err as Error).message).to.equal("externs.bpf.o: extern 'bpf_prog_active': symbol not found in /proc/kallsyms".replace('externs.bpf.o', object));
  });

  it('sections.bpf.o: the kernel refuses a sleepable tracepoint (libbpf cannot even open the newer sections)', async function () {
    const err = await loadObject(join(BPF_DIR, 'sections.bpf.o')).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(VerifierError);
    expect((err as VerifierError).program).to.equal('s_tp_s');
    expect((err as Error).message).to.match(/can be sleepable/);
  });
});
