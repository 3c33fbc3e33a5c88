/**
 * Relocation against the custom target BTF checked against the layout clang chose for it: the
 * fixture's C source, compiled for the host with -DLAYOUT_MAIN, prints `offsetof`/`sizeof` of the
 * fields the corpus relocates, and the patched values must be exactly those.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBtf } from '../../src/btf/index.js';
import type { CoreRelocationResult } from '../../src/btf/core/index.js';
import { requireTool } from '../helpers/privileges.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { CC } from './libbpf-log.js';
import { TARGET_BTF, TARGET_C, loadCoreObject, relocateObject } from './objects.js';

const CLANG = '/usr/bin/clang';
const OBJCOPY = '/usr/bin/llvm-objcopy';

function layout(): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-core-layout-'));
  try {
    const exe = join(dir, 'layout');
    execFileSync(CC, ['-DLAYOUT_MAIN', '-o', exe, TARGET_C], { stdio: 'pipe' });
    return JSON.parse(execFileSync(exe, { encoding: 'utf8' })) as Record<string, number>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function resultsOf(rel: string): CoreRelocationResult[] {
  const target = { name: 'target-kernel.btf', btf: parseBtf(readFileSync(TARGET_BTF)) };
  return relocateObject(loadCoreObject(rel), [target]).flatMap((p) => p.output.results);
}

/** The new value of the first relocation of `kind` whose local path is `path`. */
function valueOf(results: readonly CoreRelocationResult[], kind: string, path: string): number {
  const r = results.find((x) => x.kindName === kind && x.localSpec.path === path);
  if (r === undefined) throw new Error(`no <${kind}> ${path} in ${results.map((x) => `<${x.kindName}> ${x.localSpec.path}`).join(', ')}`);
  return Number(r.newValue);
}

describe('btf/core against a custom target BTF (offsets from clang)', function () {
  this.timeout(30000);
  let expected: Record<string, number>;
  before(function () {
    requireTool(this, CC);
    expected = layout();
  });

  it('field offsets and sizes in fields.bpf.o are the fixture layout clang computed', () => {
    const r = resultsOf('core/fields.bpf.o');
    expect({
      pid: valueOf(r, 'byte_off', 'struct task_struct.pid'),
      flavorPid: valueOf(r, 'byte_off', 'struct task_struct___mine.pid'),
      flags: valueOf(r, 'byte_off', 'struct task_struct___mine.flags'),
      realParent: valueOf(r, 'byte_off', 'struct task_struct___mine.real_parent'),
      tgid: valueOf(r, 'byte_off', 'struct task_struct___mine.tgid'),
      comm3: valueOf(r, 'byte_off', 'struct task_struct___mine.comm[3]'),
      next: valueOf(r, 'byte_off', 'struct sk_buff.next'),
      dev: valueOf(r, 'byte_off', 'struct sk_buff.dev'),
    }).to.deep.equal({
      pid: expected['task_struct.pid'],
      flavorPid: expected['task_struct.pid'],
      flags: expected['task_struct.flags'],
      realParent: expected['task_struct.real_parent'],
      tgid: expected['task_struct.tgid'],
      comm3: (expected['task_struct.comm'] as number) + 3,
      next: expected['sk_buff.next'],
      dev: expected['sk_buff.dev'],
    });
  });

  it('type size of task_struct in core.bpf.o is sizeof() in the fixture', () => {
    expect(valueOf(resultsOf('core.bpf.o'), 'type_size', 'struct task_struct')).to.equal(expected['sizeof.task_struct']);
  });

  it('the two ambiguous flavors really place x differently (the premise of the ambiguity test)', () => {
    expect(expected['foo___a.x']).to.not.equal(expected['foo___b.x']);
  });

  it('target-kernel.btf is what build-target-btf.sh makes from target-kernel.c (regenerating changes nothing)', function () {
    requireTool(this, CLANG);
    requireTool(this, OBJCOPY);
    const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-core-btf-'));
    try {
      const out = join(dir, 'target.btf');
      execFileSync('bash', [join(REPO_ROOT, 'test', 'core', 'fixtures', 'build-target-btf.sh'), out], { stdio: 'pipe' });
      expect(Buffer.compare(readFileSync(out), readFileSync(TARGET_BTF))).to.equal(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
