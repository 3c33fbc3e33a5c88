/**
 * The libbpf counterparts: `bench/c/NAME.c`, compiled here with `gcc -O2 ... -lbpf` (or clang) into
 * `bench/.build/NAME` (rebuilt when the source or `bench.h` is newer), run as child processes that
 * print `key value` lines (`bench/c/bench.h`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_DIR, C_DIR, ROOT } from './repo.js';
import { pinned } from './cpu.js';

/** What a counterpart printed: every value of each key, in order. */
export type CResults = ReadonlyMap<string, readonly number[]>;

/** Installs libbpf-dev (and the other reference tools) when its headers are missing. */
export function ensureLibbpf(): void {
  if (existsSync('/usr/include/bpf/libbpf.h')) return;
  execFileSync('bash', [join(ROOT, 'scripts', 'install-reference-tools.sh')], { stdio: 'inherit' });
  if (!existsSync('/usr/include/bpf/libbpf.h')) throw new Error('libbpf-dev is not installed and could not be installed: the C counterparts need it');
}

/** Builds `bench/c/NAME.c` when needed; returns the binary's path. */
export function buildC(name: string): string {
  const src = join(C_DIR, `${name}.c`);
  const out = join(BUILD_DIR, name);
  mkdirSync(BUILD_DIR, { recursive: true });
  const newest = Math.max(statSync(src).mtimeMs, statSync(join(C_DIR, 'bench.h')).mtimeMs);
  if (!existsSync(out) || statSync(out).mtimeMs < newest) {
    execFileSync(cCompiler(), ['-O2', '-Wall', '-o', out, src, '-lbpf'], { stdio: 'inherit' });
  }
  return out;
}

/** gcc, or the clang the reference tools install when gcc is missing. */
function cCompiler(): string {
  for (const cc of ['gcc', 'clang', 'cc']) {
    try {
      execFileSync(cc, ['--version'], { stdio: 'ignore' });
      return cc;
    } catch {
      // not installed: try the next one
    }
  }
  throw new Error('no C compiler (gcc or clang) to build the libbpf counterparts');
}

/** Runs a built counterpart (on the bench's CPU) and parses its `key value` lines. */
export function runC(binary: string, args: readonly string[]): CResults {
  const [file, argv] = pinned(binary, args);
  const out = execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const results = new Map<string, number[]>();
  for (const line of out.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const key = line.slice(0, space);
    const list = results.get(key) ?? [];
    list.push(Number(line.slice(space + 1)));
    results.set(key, list);
  }
  return results;
}

/** The values printed under `key`; throws when there are none (the counterpart failed). */
export function values(results: CResults, key: string): readonly number[] {
  const v = results.get(key);
  if (v === undefined || v.length === 0) throw new Error(`libbpf counterpart printed no '${key}'`);
  return v;
}
