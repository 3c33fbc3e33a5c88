/**
 * `npm run bench [-- NAME ...] [--rounds N] [--cpu N|none]`: runs the scenarios of issue 7, each
 * for bpf-ts and for its libbpf counterpart (bench/c/, built here against Debian's libbpf-dev),
 * alternating; prints one table of medians and ratios, saves it with the raw medians under
 * bench/.build/, and exits 1 when a target is missed. Benchmarks are not tests: nothing here
 * runs under `npm test`.
 *
 * Each scenario runs in a node process of its own (this file with `--rows-to FILE`), as each
 * libbpf counterpart is a process of its own: a scenario's bpf-ts side does not inherit the heap,
 * garbage and JIT state the scenarios before it left (the object loads measured 1.70x after the
 * map scenario's 200k entries in one process, 1.30x alone, same code, same idle machine).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureLibbpf } from './runner/c-program.js';
import { benchCpu, pinTo } from './runner/cpu.js';
import { BUILD_DIR } from './runner/repo.js';
import { formatTable, missed, summarize, type Row } from './runner/row.js';
import type { BenchContext } from './runner/scenario.js';
import { SCENARIOS } from './scenarios/index.js';

function option(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  if (i < 0) return undefined;
  const [, value] = argv.splice(i, 2);
  if (value === undefined) throw new Error(`${flag} needs a value`);
  return value;
}

/** Runs scenario `name` in a child process (see the file comment) and returns its rows. */
function runIsolated(name: string, rounds: number, cpu: string | undefined): Row[] {
  const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-bench-'));
  try {
    const out = join(dir, 'rows.json');
    const args = [fileURLToPath(import.meta.url), '--rows-to', out, '--rounds', String(rounds), ...(cpu === undefined ? [] : ['--cpu', cpu]), name];
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`scenario ${name} failed (${r.error?.message ?? (r.signal !== null ? `signal ${r.signal}` : `exit ${r.status}`)})`);
    return JSON.parse(readFileSync(out, 'utf8')) as Row[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<number> {
  const rounds = Number(option(argv, '--rounds') ?? '4');
  const cpuArg = option(argv, '--cpu');
  const rowsTo = option(argv, '--rows-to');
  pinTo(cpuArg);
  const unknown = argv.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) {
    console.error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const chosen = argv.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => argv.includes(s.name));
  ensureLibbpf();
  const ctx: BenchContext = { rounds, tag: `bench${process.pid}`, log: (line) => console.error(`bench: ${line}`) };
  if (rowsTo !== undefined) {
    // A child of runIsolated: its one scenario, rows handed back as JSON.
    const rows: Row[] = [];
    for (const s of chosen) rows.push(...(await s.run(ctx)));
    writeFileSync(rowsTo, JSON.stringify(rows));
    return 0;
  }
  const rows: Row[] = [];
  for (const s of chosen) {
    ctx.log(`${s.name}: ${s.title}`);
    rows.push(...runIsolated(s.name, rounds, cpuArg));
  }
  const table = formatTable(rows);
  const cpu = benchCpu();
  console.log(`\n${rounds} alternating rounds, ${cpu === undefined ? 'unpinned' : `pinned to CPU ${cpu}`}; median (10th-90th percentile)\n`);
  console.log(table);
  mkdirSync(BUILD_DIR, { recursive: true });
  writeFileSync(join(BUILD_DIR, 'results.md'), `${table}\n`);
  writeFileSync(join(BUILD_DIR, 'results.json'), `${JSON.stringify(summarize(rows), null, 1)}\n`);
  const misses = rows.filter(missed);
  for (const r of misses) console.log(`TARGET MISSED: ${r.scenario}: ${r.measure}`);
  return misses.length === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
