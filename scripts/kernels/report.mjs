#!/usr/bin/env node
// report.mjs RUN_DIR KERNEL... — the kernel matrix's summary, written by run.sh after the VMs.
//
// Reads RUN_DIR/summary.tsv (one line per VM: exit status, timings) and RUN_DIR/<kernel>/out/
// results.jsonl (one line per test, from vm-reporter.cjs), prints per-kernel totals, every test
// that did not pass on every kernel (with its status on each), writes the full test x kernel
// matrix to RUN_DIR/matrix.md and RUN_DIR/matrix.json, and exits:
//   0  every VM finished and every test passed (skips allowed: under CI=true the project's
//      requirePrivileges/requireTool turn unjustified skips into failures),
//   1  some test failed (or a VM's command exited non-zero),
//   2  some VM gave no result (did not boot, crashed, timed out).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [runDir, ...kernels] = process.argv.slice(2);
if (!runDir || kernels.length === 0) {
  process.stderr.write('usage: report.mjs RUN_DIR KERNEL...\n');
  process.exit(2);
}

const vms = new Map();
for (const line of readFileSync(join(runDir, 'summary.tsv'), 'utf8').split('\n')) {
  if (!line) continue;
  const [kernel, release, code, stats, wallS, initS, rootS, cmdS, endS, note] = line.split('\t');
  vms.set(kernel, { kernel, release, code, stats, wallS, initS, rootS, cmdS, endS, note });
}

/** title -> kernel -> record (a hook failure and its later test records share the key space). */
const matrix = new Map();
const perKernel = new Map();
for (const k of kernels) {
  const file = join(runDir, k, 'out', 'results.jsonl');
  const recs = [];
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        recs.push(JSON.parse(line));
      } catch {
        // A line cut short by a crash: ignore it, the VM's status already tells.
      }
    }
  }
  perKernel.set(k, recs);
  for (const r of recs) {
    const key = `${r.file ?? '?'} :: ${r.title}`;
    if (!matrix.has(key)) matrix.set(key, new Map());
    const prev = matrix.get(key).get(k);
    // A test that passed and then failed in an afterEach hook counts as failed.
    if (!prev || r.state === 'failed') matrix.get(key).set(k, r);
  }
}

const sym = { passed: 'pass', failed: 'FAIL', skipped: 'skip' };
let exit = 0;
const out = [];
out.push('');
out.push('Kernel matrix results');
out.push('=====================');
for (const k of kernels) {
  const vm = vms.get(k);
  const recs = perKernel.get(k) ?? [];
  const n = (s) => recs.filter((r) => r.state === s).length;
  let status;
  if (!vm || vm.code === 'noresult') {
    status = `NO RESULT (${vm?.note || 'VM did not run'})`;
    exit = Math.max(exit, 2);
  } else if (vm.code !== '0' || n('failed') > 0) {
    status = `FAILED (exit ${vm.code})`;
    exit = Math.max(exit, 1);
  } else {
    status = 'passed';
  }
  out.push(`${k.padEnd(5)} ${status}`);
  // A VM that failed without a failing test (no boot, no checkout, a crash) still fails the run:
  // .ci/run sums these 'tests:' lines, so it must not read as 0 failed.
  if (status !== 'passed' && n('failed') === 0) out.push(`      tests: 0 passed, 1 failed, 0 skipped (the VM run itself: ${status})`);
  if (vm) {
    out.push(`      kernel ${vm.release}`);
    out.push(`      ${vm.stats || `results: ${n('passed')} passed, ${n('failed')} failed, ${n('skipped')} skipped`}`);
    const t = (s) => (s && s !== '-' ? `${Number(s).toFixed(1)} s` : '?');
    out.push(`      time: wall ${vm.wallS} s; guest uptime at /init ${t(vm.initS)}, root ready ${t(vm.rootS)}, command start ${t(vm.cmdS)}, end ${t(vm.endS)}`);
  }
}

const notAllPassed = [...matrix.entries()].filter(([, m]) => kernels.some((k) => m.get(k)?.state !== 'passed'));
if (notAllPassed.length > 0) {
  out.push('');
  out.push(`Tests not passing on every kernel (${notAllPassed.length}):`);
  for (const [key, m] of notAllPassed) {
    out.push(`  ${kernels.map((k) => `${k}:${sym[m.get(k)?.state] ?? '----'}`).join(' ')}  ${key}`);
    for (const k of kernels) {
      const r = m.get(k);
      if (r?.state === 'failed' && r.error) out.push(`      [${k}] ${r.error.split('\n')[0]}`);
    }
  }
}

// Full matrix for the record (and for docs/kernel-matrix.md updates).
const md = ['| test | ' + kernels.join(' | ') + ' |', '|---|' + kernels.map(() => '---|').join('')];
const json = [];
for (const [key, m] of [...matrix.entries()].sort(([a], [b]) => a.localeCompare(b))) {
  md.push(`| ${key.replace(/\|/g, '\\|')} | ${kernels.map((k) => sym[m.get(k)?.state] ?? '—').join(' | ')} |`);
  json.push({ test: key, ...Object.fromEntries(kernels.map((k) => [k, m.get(k)?.state ?? null])) });
}
writeFileSync(join(runDir, 'matrix.md'), md.join('\n') + '\n');
writeFileSync(join(runDir, 'matrix.json'), JSON.stringify(json, null, 1) + '\n');
out.push('');
out.push(`Per-test matrix: ${join(runDir, 'matrix.md')}; consoles: ${join(runDir, '<kernel>', 'console.txt')}`);
out.push(exit === 0 ? 'kernel matrix: PASSED' : exit === 1 ? 'kernel matrix: FAILED' : 'kernel matrix: NO RESULT from some VM');
process.stdout.write(out.join('\n') + '\n');
process.exit(exit);
