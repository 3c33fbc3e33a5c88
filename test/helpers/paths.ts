import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'crates'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`repository root not found above ${start}`);
    dir = parent;
  }
}

/** The checkout's root, whether the test runs from `test/` or from `dist/test/`. */
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
/** The committed BPF objects and their sources. */
export const BPF_DIR = join(REPO_ROOT, 'bpf');
/** The CLI entry point as users run it from a checkout. */
export const CLI = join(REPO_ROOT, 'bin', 'bpf-ts');
