/**
 * fentry/fexit/fmod_ret/lsm programs on a kernel without BPF trampolines: the load fails with a
 * bare EPERM (even for root, with no verifier log), which loadObject turns into a
 * NotSupportedError that says the kernel refuses trampolines. The kernel this suite runs on
 * refuses them, so only the failure path is checked; on a kernel with trampolines the tests
 * check that the same programs load.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadObject, LoadError } from '../../src/loader/index.js';
import { trampolineUnavailableReason } from '../../src/links/index.js';
import { NotSupportedError } from '../../src/sys/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';

const SECTIONS = join(BPF_DIR, 'sections.bpf.o');

/** Trampoline programs of sections.bpf.c and what the error names them as. */
const TRAMPOLINE_PROGRAMS: ReadonlyArray<readonly [string, string]> = [
  ['s_fentry', 'fentry do_nanosleep'],
  ['s_fexit', 'fexit do_nanosleep'],
  ['s_fmod_ret', 'fmod_ret security_file_open'],
  ['s_fentry_s', 'fentry do_nanosleep'],
  ['s_lsm', 'lsm file_open'],
  ['s_lsm_s', 'lsm bprm_committed_creds'],
];

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

describe('loadObject: trampoline programs on a kernel that refuses BPF trampolines', function () {
  this.timeout(60_000);
  let reason: string | undefined;
  before(function () {
    requirePrivileges(this);
    reason = trampolineUnavailableReason();
  });

  for (const [name, what] of TRAMPOLINE_PROGRAMS) {
    it(`${name}: a bare EPERM becomes a NotSupportedError naming BPF trampolines (the success path cannot run on this kernel)`, async function () {
      const before = fdCount();
      const result = await loadObject(SECTIONS, { programs: [name] }).catch((e: unknown) => e);
      if (reason === undefined) {
        // A kernel with trampolines: the program simply loads.
        expect(result).to.not.be.instanceOf(Error);
        if (!(result instanceof Error)) (result as { close(): void }).close();
        return;
      }
      expect(result).to.be.instanceOf(NotSupportedError);
      expect(result).to.not.be.instanceOf(LoadError);
      const err = result as NotSupportedError;
      expect(err.feature).to.equal('BPF trampoline');
      expect(err.message).to.match(new RegExp(`^${SECTIONS.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: program '${name}' \\(${what}\\): BPF_PROG_LOAD failed with E[A-Z]+: `));
      expect(err.message).to.include('the kernel refused a BPF trampoline');
      expect(err.message.endsWith(reason)).to.equal(true);
      // The kernel's own error stays reachable.
      expect(err.cause).to.be.instanceOf(Error);
      expect((err.cause as { code?: string }).code).to.be.oneOf(['EPERM', 'ENOTSUPP', 'EOPNOTSUPP']);
      expect(fdCount()).to.equal(before);
    });
  }

  it('other programs of the same object are not affected: a kprobe and a tp_btf program load', async function () {
    using obj = await loadObject(SECTIONS, { programs: ['s_kprobe', 's_tp_btf'] });
    expect([...obj.programs.keys()]).to.deep.equal(['s_kprobe', 's_tp_btf']);
  });
});
