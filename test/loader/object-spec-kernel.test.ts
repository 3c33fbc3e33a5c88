/**
 * Privileged comparisons: what libbpf (through bpftool and the libbpf oracle) creates and applies
 * in the kernel for corpus objects, against our spec of the same objects.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parseObjectSpec } from '../../src/loader/object-spec.js';
import type { CoreRelocation } from '../../src/loader/relocations.js';
import { MapType, MapTypeName, ProgTypeName } from '../../src/sys/uapi.js';
import { probeMapType } from '../../src/sys/index.js';
import { slowdown } from '../helpers/kernel.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { BPFTOOL, CC, LIBBPF_HEADER, bpftoolJson, libbpfCoreRelocations } from './reference-tools.js';
import { ensureTestBpffs } from '../helpers/bpffs.js';

interface ProgShow {
  id: number;
  type: string;
  name: string;
  map_ids?: number[];
}
interface MapShow {
  id: number;
  type: string;
  name: string;
  bytes_key: number;
  bytes_value: number;
  max_entries: number;
  flags: number;
}

/** Loads OBJ with `bpftool prog loadall` into a fresh bpffs directory; returns it and a cleanup. */
function loadAll(obj: string): { dir: string; cleanup: () => void } {
  const dir = `/sys/fs/bpf/bpf-ts-loader-test-${process.pid}`;
  ensureTestBpffs();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    execFileSync(BPFTOOL, ['prog', 'loadall', obj, join(dir, 'progs')], { stdio: 'pipe' });
  } catch (e) {
    cleanup();
    throw new Error(`bpftool prog loadall ${obj} failed: ${String((e as { stderr?: Buffer }).stderr ?? e)}`);
  }
  return { dir: join(dir, 'progs'), cleanup };
}

/** libbpf's `<kind>` spelling in its CO-RE debug lines. */
const LIBBPF_CORE_KIND: Record<CoreRelocation['coreKind'], string> = {
  field_byte_offset: 'byte_off',
  field_byte_size: 'byte_sz',
  field_exists: 'field_exists',
  field_signed: 'signed',
  field_lshift_u64: 'lshift_u64',
  field_rshift_u64: 'rshift_u64',
  type_id_local: 'local_type_id',
  type_id_target: 'target_type_id',
  type_exists: 'type_exists',
  type_size: 'type_size',
  enumval_exists: 'enumval_exists',
  enumval_value: 'enumval_value',
  type_matches: 'type_matches',
};

describe('loader/object-spec against the kernel objects libbpf creates (root)', function () {
  // clang and bpftool runs: ~20x slower under the kernel matrix's TCG, and slower still under load.
  this.timeout(30000 * slowdown());
  before(function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
  });

  it('program types of spec/loadable.bpf.o are those libbpf loaded (bpftool prog loadall + prog show)', () => {
    const file = join(BPF_DIR, 'spec', 'loadable.bpf.o');
    const spec = parseObjectSpec(readFileSync(file), { fileName: file });
    const { dir, cleanup } = loadAll(file);
    try {
      const pinned = readdirSync(dir).sort();
      expect(pinned).to.deep.equal(spec.programs.map((p) => p.name).sort());
      for (const p of spec.programs) {
        const shown = bpftoolJson<ProgShow>(['prog', 'show', 'pinned', join(dir, p.name)]);
        expect([p.name, shown.type]).to.deep.equal([p.name, ProgTypeName.get(p.type)]);
      }
    } finally {
      cleanup();
    }
  });

  it('maps of maps.bpf.o are created as the spec describes (bpftool map show of each program map)', function () {
    // libbpf (bpftool 7.1) creates every map, and the unused cgrp_storage one needs Linux 6.2.
    if (!probeMapType(MapType.CGRP_STORAGE)) this.skip();
    const file = join(BPF_DIR, 'maps.bpf.o');
    const spec = parseObjectSpec(readFileSync(file), { fileName: file });
    const byName = '/sys/fs/bpf/pinned_hash';
    const preexisting = existsSync(byName);
    const { dir, cleanup } = loadAll(file);
    try {
      const seen = new Map<string, MapShow>();
      for (const p of spec.programs) {
        const prog = bpftoolJson<ProgShow>(['prog', 'show', 'pinned', join(dir, p.name)]);
        expect(prog.type).to.equal(ProgTypeName.get(p.type));
        for (const id of prog.map_ids ?? []) {
          const m = bpftoolJson<MapShow>(['map', 'show', 'id', String(id)]);
          seen.set(m.name, m);
        }
      }
      const referenced = new Set(spec.programs.flatMap((p) => p.relocations.flatMap((r) => (r.kind === 'map' ? [r.map] : []))));
      expect([...seen.keys()].sort()).to.deep.equal([...referenced].sort());
      for (const [name, shown] of seen) {
        const m = spec.map(name);
        expect(m, name).to.not.equal(undefined);
        if (m === undefined) continue;
        expect([name, shown.type, shown.bytes_key, shown.bytes_value, shown.flags]).to.deep.equal([name, MapTypeName.get(m.type), m.keySize, m.valueSize, m.flags]);
        // A perf event array's 0 means "one per CPU", decided at creation.
        if (m.maxEntries !== 0) expect([name, shown.max_entries]).to.deep.equal([name, m.maxEntries]);
      }
      expect(existsSync(byName), 'LIBBPF_PIN_BY_NAME map pinned under its name').to.equal(true);
    } finally {
      cleanup();
      if (!preexisting && existsSync(byName)) unlinkSync(byName);
    }
  });

  for (const rel of ['core.bpf.o', 'core/type_matches.bpf.o', 'minimal.bpf.o', 'subprogs.bpf.o']) {
    it(`CO-RE relocations of ${rel} are the ones libbpf applies`, function () {
      requireTool(this, CC);
      requireTool(this, LIBBPF_HEADER);
      const file = join(BPF_DIR, rel);
      const spec = parseObjectSpec(readFileSync(file), { fileName: file });
      const ours = spec.programs
        .flatMap((p) =>
          p.relocations.flatMap((r) => (r.kind === 'core' ? [`${p.name} #${r.insnIndex} <${LIBBPF_CORE_KIND[r.coreKind]}> [${r.typeId}] ${r.typeName} ${r.accessor}`] : [])),
        )
        .sort();
      const theirs = libbpfCoreRelocations(file)
        .map((r) => {
          // Field relocations print "(0:1:2 @ offset N)"; type and enum ones only the type.
          const accessor = /\(([0-9:]+) @/.exec(r.spec)?.[1] ?? (/^enum \S+::\S+ = \d+$/.test(r.spec) ? undefined : '0');
          const typeName = /^(?:struct|union|enum|typedef|int|fwd|ptr|array|func|const|volatile)? ?([A-Za-z0-9_]+)/.exec(r.spec)?.[1] ?? '';
          return `${r.program} #${r.insn} <${r.kind}> [${r.typeId}] ${typeName} ${accessor ?? enumAccessor(spec, r.typeId, r.spec)}`;
        })
        .sort();
      expect(ours.length).to.be.greaterThan(0);
      expect(ours).to.deep.equal(theirs);
    });
  }
});

/** libbpf prints enum relocations as `enum E::NAME = V`; the accessor is the enumerator's index. */
function enumAccessor(spec: ReturnType<typeof parseObjectSpec>, typeId: number, text: string): string {
  const name = /::(\S+)/.exec(text)?.[1];
  const t = spec.btf?.typeById(typeId);
  if (t === undefined || (t.kind !== 'ENUM' && t.kind !== 'ENUM64')) return '?';
  return String(t.values.findIndex((v) => v.name === name));
}
