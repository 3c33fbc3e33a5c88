import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreRelocationError, loadKernelBtf, loadObject, loadObjectSpec, minCoreBtf, parseBtf } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { BPF_DIR, REPO_ROOT } from '../helpers/paths.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';

const run = promisify(execFile);
const BPFTOOL = '/usr/sbin/bpftool';
const VMLINUX = '/sys/kernel/btf/vmlinux';

/** Object sets compared with bpftool: every CO-RE relocation kind, clang-19 type matches, several objects at once. */
const CASES: readonly (readonly string[])[] = [
  ['core.bpf.o'],
  ['core/fields.bpf.o'],
  ['core/bitfields.bpf.o'],
  ['core/enums.bpf.o'],
  ['core/types.bpf.o'],
  ['core/matches.bpf.o'],
  ['core/type_matches.bpf.o'],
  ['core/bad_size.bpf.o'],
  ['load/tracer.bpf.o', 'core/fields.bpf.o', 'core/enums.bpf.o'],
];

describe('gen min_core_btf: the kernel BTF that objects CO-RE relocations need', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bpf-ts-mincore-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const objects of CASES) {
    it(`byte for byte what bpftool writes: ${objects.join(' ')}`, async function () {
      requireTool(this, BPFTOOL);
      const paths = objects.map((o) => join(BPF_DIR, o));
      const ours = join(dir, 'ours.btf');
      const theirs = join(dir, 'theirs.btf');
      const r = await runCli(['gen', 'min_core_btf', VMLINUX, ours, ...paths]);
      expect([r.code, r.err]).to.deep.equal([0, '']);
      await run(BPFTOOL, ['gen', 'min_core_btf', VMLINUX, theirs, ...paths]);
      const a = readFileSync(ours);
      const b = readFileSync(theirs);
      expect(a.length).to.be.greaterThan(24);
      expect(a.equals(b), `${a.length} bytes vs bpftool's ${b.length}`).to.equal(true);
    });
  }

  it('the minimal BTF is enough to load the object (CO-RE resolved against it alone)', async function () {
    requirePrivileges(this);
    const spec = await loadObjectSpec(join(BPF_DIR, 'load', 'tracer.bpf.o'));
    const min = parseBtf(minCoreBtf(loadKernelBtf(), [spec]));
    expect(min.typeCount).to.be.lessThan(200);
    const debug: string[] = [];
    using obj = await loadObject(spec, { kernelBtf: min, debug: (l) => debug.push(l) });
    expect(obj.programs.size).to.be.greaterThan(10);
    expect(debug.some((l) => / relo #\d+: /.test(l) && !l.endsWith('poisoned'))).to.equal(true);
  });

  it('ambiguous relocations fail (as in bpftool), and arguments are checked', async () => {
    const spec = await loadObjectSpec(join(BPF_DIR, 'core', 'ambiguous.bpf.o'));
    expect(() => minCoreBtf(loadKernelBtf(), [spec])).to.throw(CoreRelocationError, /relocation ambiguous: 2 candidates give different results/);
    const r = await runCli(['gen', 'min_core_btf', VMLINUX, join(dir, 'x.btf')]);
    expect([r.code, r.err]).to.deep.equal([255, 'Error: expected INPUT OUTPUT OBJECT [OBJECT...]: bpf-ts gen min_core_btf INPUT OUTPUT OBJECT [OBJECT...]\n']);
    const missing = await runCli(['gen', 'min_core_btf', join(REPO_ROOT, 'nope.btf'), join(dir, 'x.btf'), join(BPF_DIR, 'core.bpf.o')]);
    expect(missing.err).to.equal(`Error: failed to read ${join(REPO_ROOT, 'nope.btf')}: ENOENT\n`);
  });
});
