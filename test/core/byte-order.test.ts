/**
 * Big-endian objects (`clang -target bpfeb`): the same source relocated against the same kernel
 * must give the same decisions, with the patched fields written in the object's byte order.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorePatchKind } from '../../src/btf/core/index.js';
import { loadKernelBtf } from '../../src/btf/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requireTool } from '../helpers/privileges.js';
import { loadCoreObject, relocateObject } from './objects.js';
import { ensureVmlinuxHeader } from '../helpers/vmlinux-header.js';

const CLANG = '/usr/bin/clang';

describe('btf/core on big-endian objects', function () {
  this.timeout(30000);
  let dir: string;
  before(function () {
    requireTool(this, CLANG);
    ensureVmlinuxHeader();
    dir = mkdtempSync(join(tmpdir(), 'bpf-ts-core-eb-'));
  });
  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  for (const name of ['fields', 'enums', 'types']) {
    it(`core/${name}.bpf.c built for bpfeb relocates like the bpfel build, in big-endian bytes`, () => {
      const out = join(dir, `${name}.bpfeb.o`);
      execFileSync(CLANG, ['-O2', '-g', '-target', 'bpfeb', '-D__TARGET_ARCH_x86', '-I', BPF_DIR, '-c', join(BPF_DIR, 'core', `${name}.bpf.c`), '-o', out], { stdio: 'pipe' });
      const kernel = loadKernelBtf();
      const [eb] = relocateObject(loadCoreObject(out), [kernel]);
      const [el] = relocateObject(loadCoreObject(`core/${name}.bpf.o`), [kernel]);
      if (eb === undefined || el === undefined) throw new Error('no program');
      const decisions = (p: typeof eb): unknown[] => p.output.results.map((r) => [r.insnIndex, r.localSpec.path, r.newValue, r.poisoned, r.patch.kind]);
      expect(decisions(eb)).to.deep.equal(decisions(el));
      const v = new DataView(eb.output.instructions.buffer, eb.output.instructions.byteOffset, eb.output.instructions.byteLength);
      for (const r of eb.output.results) {
        const at = r.insnIndex * 8;
        if (r.patch.kind === CorePatchKind.alu) expect(v.getInt32(at + 4, false)).to.equal(Number(BigInt.asIntN(32, r.newValue)));
        if (r.patch.kind === CorePatchKind.mem) expect(v.getInt16(at + 2, false)).to.equal(Number(r.newValue));
        if (r.patch.kind === CorePatchKind.ldimm64) expect((BigInt(v.getUint32(at + 12, false)) << 32n) | BigInt(v.getUint32(at + 4, false))).to.equal(r.newValue);
        if (r.patch.kind === CorePatchKind.poison) expect([v.getUint8(at), v.getInt32(at + 4, false)]).to.deep.equal([0x85, 195896080]);
      }
    });
  }
});
