/**
 * The loader's CO-RE debug lines (`loadObject(spec, { debug })`, `bootstrap -v`): one per
 * relocation, shaped as libbpf's `prog 'P': relo #N: <kind> [id] path (access @ offset O)`.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import { loadObject, loadObjectSpec } from '../../src/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';

/** `libbpf: prog 'P': relo #N: insn #I <kind> [id] description: old -> new` (or `: poisoned`). */
const RELO_LINE = /^libbpf: prog '([^']+)': relo #(\d+): insn #(\d+) <([a-z0-9_]+)> \[(\d+)\] (.+): (\d+ -> \d+|poisoned)$/;

describe('loader: CO-RE relocation debug lines (root)', function () {
  this.timeout(30000);
  before(function () {
    requirePrivileges(this);
  });

  it('name the relocation kind once, as libbpf does: relo #N: insn #I <byte_off> [id] struct task_struct.real_parent (...)', async () => {
    const spec = await loadObjectSpec(join(BPF_DIR, 'core.bpf.o'));
    const lines: string[] = [];
    using _obj = await loadObject(spec, { debug: (l) => lines.push(l) });
    const relos = lines.filter((l) => / relo #\d+: /.test(l));
    expect(relos.length, lines.join('\n')).to.be.greaterThan(5);
    for (const l of relos) {
      const m = RELO_LINE.exec(l);
      expect(m, l).to.not.equal(null);
      // The kind is the `<kind>` of the spec only, not repeated in front of it.
      expect(m![6], l).to.not.include(`<${m![4]}>`);
      expect(l.split(m![4]!).length - 1, l).to.equal(1);
    }
    // BPF_CORE_READ(t, real_parent, tgid): the first step is a byte offset into task_struct.
    const parent = relos.find((l) => l.includes('struct task_struct.real_parent'));
    expect(parent, relos.join('\n')).to.match(/^libbpf: prog 'core_relos': relo #\d+: insn #\d+ <byte_off> \[\d+\] struct task_struct\.real_parent \(0:\d+ @ offset \d+\): \d+ -> \d+$/);
  });
});
