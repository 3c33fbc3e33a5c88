/**
 * A program load that signals keep interrupting: the verifier gives up with EAGAIN whenever a
 * signal is pending, and after the retries the user gets a LoadError that says so, not a
 * VerifierError whose partial log "states no error".
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BPF_DIR, REPO_ROOT } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';

describe('load: BPF_PROG_LOAD interrupted by signals (EAGAIN)', function () {
  this.timeout(60_000);
  before(function () {
    requirePrivileges(this);
  });

  it('is a LoadError naming the signal cause once every retry was interrupted', function () {
    // bad_slow_verify walks the verifier's whole 1M-instruction budget (seconds); V8's profiler
    // sends SIGPROF every millisecond, so no attempt can finish.
    const profiles = mkdtempSync(join(tmpdir(), 'bpf-ts-eagain-'));
    try {
      const script = `
        import { loadObject, loadObjectSpec } from ${JSON.stringify(join(REPO_ROOT, 'dist/src/index.js'))};
        try {
          (await loadObject(await loadObjectSpec(${JSON.stringify(join(BPF_DIR, 'load/bad_slow_verify.bpf.o'))}))).close();
          console.log('loaded');
        } catch (e) {
          console.log(JSON.stringify({ class: e.constructor.name, message: e.message, cause: e.cause?.code }));
        }`;
      const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profiles, '--cpu-prof-interval', '1000', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 50_000 });
      expect(r.status, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout)).to.deep.equal({
        class: 'LoadError',
        message: `${join(BPF_DIR, 'load/bad_slow_verify.bpf.o')}: program 'slow_verify': BPF_PROG_LOAD was interrupted by a signal on every retry (EAGAIN): the verifier gives up when a signal is pending, e.g. a profiler's SIGPROF (node --cpu-prof) or a timer firing faster than the program verifies`,
        cause: 'EAGAIN',
      });
    } finally {
      rmSync(profiles, { recursive: true, force: true });
    }
  });
});
