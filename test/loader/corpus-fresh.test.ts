/**
 * The committed objects of the loader corpus are what their sources compile to today: each
 * source is rebuilt into a temporary directory with bpf/build.sh's compiler and flags, and both
 * objects must give the same programs, maps, variables and relocations.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseObjectSpec, type ObjectSpec } from '../../src/loader/object-spec.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requireTool } from '../helpers/privileges.js';
import { ensureVmlinuxHeader } from '../helpers/vmlinux-header.js';

/** What a rebuild must reproduce: names, sizes, types and relocation targets, not BTF ids. */
function summary(spec: ObjectSpec): unknown {
  return {
    license: spec.license,
    programs: [...spec.programs, ...spec.subprograms].map((p) => ({
      name: p.name,
      section: p.sectionName,
      type: p.type,
      insns: p.insnCount,
      relocations: p.relocations.map((r) => `${r.insnIndex} ${r.kind} ${'map' in r ? r.map : 'target' in r ? r.target : 'extern' in r ? r.extern : r.accessor}`),
    })),
    maps: spec.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.values, m.initialValue() === undefined ? null : Buffer.from(m.initialValue() as Uint8Array).toString('hex')]),
    variables: [...spec.variables.values()].map((v) => [v.section.name, v.name, v.offset, v.size]),
    externs: spec.externs.map((e) => [e.name, e.kind, e.weak]),
  };
}

function sources(): string[] {
  const result: string[] = [];
  for (const dir of [BPF_DIR, join(BPF_DIR, 'spec')]) {
    for (const f of readdirSync(dir)) if (f.endsWith('.bpf.c') && !f.startsWith('bad_')) result.push(join(dir, f));
  }
  result.push(join(BPF_DIR, 'core', 'type_matches.bpf.c'));
  return result.sort();
}

describe('loader/corpus-fresh: committed objects match their sources', function () {
  this.timeout(180000);
  let out: string;
  before(function () {
    requireTool(this, '/usr/bin/clang');
    ensureVmlinuxHeader();
    out = mkdtempSync(join(tmpdir(), 'bpf-ts-corpus-'));
  });
  after(() => {
    if (out !== undefined) rmSync(out, { recursive: true, force: true });
  });

  for (const src of sources()) {
    it(basename(src), function () {
      const firstLine = readFileSync(src, 'utf8').split('\n', 1)[0] ?? '';
      const cc = firstLine.includes('clang: clang-19') ? '/usr/bin/clang-19' : '/usr/bin/clang';
      requireTool(this, cc);
      const obj = join(out, basename(src).replace(/\.c$/, '.o'));
      // The flags of bpf/build.sh.
      execFileSync(cc, ['-O2', '-g', '-target', 'bpf', '-D__TARGET_ARCH_x86', '-I', BPF_DIR, '-I', dirname(src), '-c', src, '-o', obj], { stdio: 'pipe' });
      const committed = src.replace(/\.c$/, '.o');
      expect(summary(parseObjectSpec(readFileSync(obj)))).to.deep.equal(summary(parseObjectSpec(readFileSync(committed))));
    });
  }
});
