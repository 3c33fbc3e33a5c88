import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseElf } from '../../src/elf/index.js';
import { BPF_DIR, REPO_ROOT } from '../helpers/paths.js';

/** Test-only reference tools and corpora for the BTF tests. */
export const BPFTOOL = '/usr/sbin/bpftool';
export const VMLINUX = '/sys/kernel/btf/vmlinux';
export const KINDS_OBJ = join(BPF_DIR, 'btf', 'kinds.bpf.o');
export const KINDS_BE_OBJ = join(BPF_DIR, 'btf', 'kinds-bpfeb.bpf.o');

/** stdout of bpftool with these arguments (throws with stderr on failure). */
export function bpftool(args: readonly string[]): string {
  return execFileSync(BPFTOOL, args, { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Every committed BPF object under bpf/ that has a `.BTF` section, relative paths sorted. */
export function objectsWithBtf(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (name.startsWith('.')) continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.o')) {
        try {
          if (parseElf(readFileSync(p), { machines: 'any' }).sectionByName('.BTF') !== undefined) out.push(relative(REPO_ROOT, p));
        } catch {
          // objects other suites use to test ELF errors are not ours to judge
        }
      }
    }
  };
  walk(BPF_DIR);
  return out.sort();
}

/** The `.BTF` section of an object file. */
export function btfSectionOf(path: string): Uint8Array {
  const s = parseElf(readFileSync(path), { machines: 'any' }).sectionByName('.BTF');
  if (s === undefined) throw new Error(`${path} has no .BTF`);
  return s.data();
}

/** `.BTF.ext` of an object file. */
export function btfExtSectionOf(path: string): Uint8Array {
  const s = parseElf(readFileSync(path), { machines: 'any' }).sectionByName('.BTF.ext');
  if (s === undefined) throw new Error(`${path} has no .BTF.ext`);
  return s.data();
}

/**
 * `undefined` when equal, else the first differing line of each (keeps mocha from printing a
 * 10 MB diff).
 */
export function firstDifference(actual: string, expected: string): string | undefined {
  if (actual === expected) return undefined;
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) return `line ${i + 1}: got ${JSON.stringify(a[i])}, want ${JSON.stringify(e[i])}`;
  }
  return 'texts differ only in trailing bytes';
}

/** Builds test/btf/c/btf-query.c against libbpf (once per run); its path. */
export function buildBtfQuery(): string {
  const dir = join(REPO_ROOT, 'bench', '.build');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'btf-query');
  const src = join(REPO_ROOT, 'test', 'btf', 'c', 'btf-query.c');
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    execFileSync('gcc', ['-O2', '-o', out, src, '-lbpf'], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  return out;
}
