/**
 * libbpf's own CO-RE decisions, read from its debug log: the system libbpf (libbpf-dev) loads an
 * object through test/core/fixtures/core-oracle.c, optionally against a custom target BTF, and
 * the `prog 'P': relo #N: ...` lines are parsed per relocation.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

export const CC = '/usr/bin/cc';
export const LIBBPF_HEADER = '/usr/include/bpf/libbpf.h';

/** One relocation as libbpf logged it. */
export interface LibbpfRelo {
  readonly program: string;
  readonly relo: number;
  /** `<kind> [id] spec` of the local side. */
  local: string;
  /** Candidate lines, `matching`/`non-matching` plus the candidate spec. */
  readonly candidates: { matching: boolean; spec: string }[];
  /** `patched insn` lines without the prefix: `(ALU/ALU64) imm 1 -> 0`, `(LDX/ST/STX) mem_sz 8 -> 4`. */
  readonly patches: string[];
  /** The patched or poisoned instruction (for ldimm64 poisoning, the first slot). */
  insn: number | undefined;
  poisoned: boolean;
  /** Warning lines of this relocation (ambiguity, failure). */
  readonly warnings: string[];
}

export interface LibbpfRun {
  readonly relos: LibbpfRelo[];
  /** `bpf_object__load()`'s return value. */
  readonly loadResult: number;
  readonly log: string;
}

let oracle: string | undefined;

function buildOracle(): string {
  if (oracle !== undefined && existsSync(oracle)) return oracle;
  const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-core-oracle-'));
  const out = join(dir, 'core-oracle');
  execFileSync(CC, ['-O1', '-Wall', '-o', out, join(REPO_ROOT, 'test', 'core', 'fixtures', 'core-oracle.c'), '-lbpf'], { stdio: 'pipe' });
  oracle = out;
  return out;
}

/**
 * Runs libbpf on `obj` (needs root), against `customBtf` instead of the kernel's when given.
 * `withLoadLog` keeps the verifier logs of failed loads (as libbpf rewrote them) in `log`.
 */
export function libbpfCore(obj: string, customBtf?: string, withLoadLog = false): LibbpfRun {
  const env = withLoadLog ? { ...process.env, CORE_ORACLE_LOAD_LOG: '1' } : process.env;
  const run = spawnSync(buildOracle(), customBtf === undefined ? [obj] : [obj, customBtf], { encoding: 'utf8', maxBuffer: 64 << 20, env });
  if (run.status !== 0) throw new Error(`core oracle failed on ${obj}: ${run.stderr}${run.stdout}`);
  const relos = new Map<string, LibbpfRelo>();
  let loadResult = Number.NaN;
  for (const line of run.stdout.split('\n')) {
    const done = /^core-oracle: load (-?\d+)$/.exec(line);
    if (done !== null) loadResult = Number(done[1]);
    const m = /^libbpf: prog '([^']+)': relo #(\d+): (.*)$/.exec(line);
    if (m === null) continue;
    const [, program, n, rest] = m as unknown as [string, string, string, string];
    const key = `${program}#${n}`;
    let r = relos.get(key);
    if (r === undefined) {
      r = { program, relo: Number(n), local: '', candidates: [], patches: [], insn: undefined, poisoned: false, warnings: [] };
      relos.set(key, r);
    }
    let c: RegExpExecArray | null;
    if (rest.startsWith('<')) r.local = rest;
    else if ((c = /^(matching|non-matching) candidate #\d+ (.*)$/.exec(rest)) !== null) r.candidates.push({ matching: c[1] === 'matching', spec: c[2] as string });
    else if ((c = /^patched insn #(\d+) (.*)$/.exec(rest)) !== null) {
      r.insn = Number(c[1]);
      r.patches.push(c[2] as string);
    } else if ((c = /^substituting insn #(\d+) w\/ invalid insn$/.exec(rest)) !== null) {
      r.poisoned = true;
      r.insn = Math.min(r.insn ?? Number.MAX_SAFE_INTEGER, Number(c[1]));
    } else if (rest !== 'no matching targets found') r.warnings.push(rest);
  }
  return { relos: [...relos.values()], loadResult, log: run.stdout };
}
