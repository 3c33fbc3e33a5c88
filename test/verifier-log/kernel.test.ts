import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { vmKernel } from '../helpers/kernel.js';
import { explainVerifierLog, parseVerifierLog } from '../../src/verifier-log/index.js';
import { CAPTURE_SCRIPT, readFixture } from './fixture-files.js';

// Guards against fixture drift: the committed logs must still be what this kernel says.
describe('verifier-log: live capture on the running kernel', function () {
  this.timeout(60000);
  let outDir = '';

  before(function () {
    requirePrivileges(this);
    requireTool(this, '/usr/sbin/bpftool');
    outDir = mkdtempSync(join(tmpdir(), 'bpf-ts-verifier-log-'));
  });

  after(() => {
    if (outDir !== '') rmSync(outDir, { recursive: true, force: true });
  });

  // One object per loader path: plain, libbpf's CO-RE rewrite, reduced capabilities, references.
  for (const name of ['null_deref', 'core_missing_field', 'stack_read', 'unreleased_ref']) {
    it(`${name}: a fresh capture parses and explains like the committed fixture`, () => {
      execFileSync(CAPTURE_SCRIPT, [name, outDir], { stdio: 'pipe' });
      const live = parseVerifierLog(readFileSync(join(outDir, `${name}.log`), 'utf8'));
      const committed = parseVerifierLog(readFixture(name));
      const liveExplanation = explainVerifierLog(live);
      expect(liveExplanation.kind).to.equal(explainVerifierLog(committed).kind);
      expect(liveExplanation.kind).to.not.equal('unknown');
      if (vmKernel() === undefined) {
        expect(live.errors).to.deep.equal(committed.errors);
        expect(live.failedInsn).to.equal(committed.failedInsn);
        expect(live.failedSource).to.deep.equal(committed.failedSource);
        expect(live.insnsProcessed).to.equal(committed.insnsProcessed);
      } else {
        // The fixtures are the development machine's kernel's words. The kernel matrix's older
        // kernels word errors differently and 6.1 has no "@ file:line" after source lines: there
        // the live log must still be explained the same way, at the same source line text.
        expect(live.errors).to.not.deep.equal([]);
        expect(live.failedSource?.text).to.equal(committed.failedSource?.text);
      }
      // capture.sh pins under a per-run name and must leave nothing behind.
      expect(readdirSync('/sys/fs/bpf').filter((f) => f.startsWith('bpf_ts_capture_'))).to.deep.equal([]);
    });
  }
});
