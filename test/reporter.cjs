'use strict';
// Mocha's spec reporter plus one closing line that CI reads: "tests: N passed, M failed, K skipped".
const Mocha = require('mocha');
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats ?? this.stats;
      // Printed after the spec reporter's own epilogue.
      process.on('exit', () => {
        process.stdout.write(`tests: ${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
      });
    });
  }
}
module.exports = SpecWithSummary;
