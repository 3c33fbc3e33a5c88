'use strict';
// The mocha reporter used inside the kernel-matrix VMs: the project's reporter (spec output plus
// the closing "tests: N passed, M failed, K skipped" line) and, for the host, one JSON line per
// test outcome appended to $BPF_TS_VM_OUT/results.jsonl as it happens. Appending per test (not one
// file at the end) keeps the results of everything that ran before a guest crash or a host-side
// timeout.
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');
const Base = require('../../test/reporter.cjs');

const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = Mocha.Runner.constants;

class VmReporter extends Base {
  constructor(runner, options) {
    super(runner, options);
    const outDir = process.env.BPF_TS_VM_OUT;
    if (!outDir) return;
    const file = path.join(outDir, 'results.jsonl');
    const root = process.cwd();
    const write = (runnable, state, err) => {
      const rec = {
        kernel: process.env.BPF_TS_VM_KERNEL ?? null,
        state,
        // Hooks ("before all" ...) fail as themselves; their title says which suite they belong to.
        type: runnable.type,
        title: runnable.fullTitle(),
        file: runnable.file ? path.relative(root, runnable.file) : null,
        durationMs: runnable.duration ?? null,
      };
      if (err) rec.error = String(err.message ?? err).split('\n').slice(0, 8).join('\n');
      if (state === 'pending' && runnable.skipReason) rec.reason = runnable.skipReason;
      try {
        fs.appendFileSync(file, JSON.stringify(rec) + '\n');
      } catch (e) {
        process.stderr.write(`vm-reporter: cannot append to ${file}: ${e.message}\n`);
      }
    };
    runner.on(EVENT_TEST_PASS, (t) => write(t, 'passed'));
    runner.on(EVENT_TEST_FAIL, (t, err) => write(t, 'failed', err));
    runner.on(EVENT_TEST_PENDING, (t) => write(t, 'skipped'));
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats ?? this.stats;
      try {
        fs.writeFileSync(
          path.join(outDir, 'stats.json'),
          JSON.stringify({ passed: s.passes, failed: s.failures, skipped: s.pending, durationMs: s.duration ?? null }) + '\n',
        );
      } catch (e) {
        process.stderr.write(`vm-reporter: cannot write stats.json: ${e.message}\n`);
      }
    });
  }
}
module.exports = VmReporter;
