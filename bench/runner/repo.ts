/** Where things are in the checkout, whether the bench runs from `bench/` or `dist/bench/`. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  while (!(existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'crates')))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`repository root not found above ${start}`);
    dir = parent;
  }
  return dir;
}

/** The checkout's root. */
export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
/** The C counterparts' sources. */
export const C_DIR = join(ROOT, 'bench', 'c');
/** Build output of the C counterparts (gitignored). */
export const BUILD_DIR = join(ROOT, 'bench', '.build');
/** The CLI as users run it. */
export const CLI = join(ROOT, 'bin', 'bpf-ts');
/** The bench's BPF producers. */
export const FILL_OBJECT = join(ROOT, 'bpf', 'bench', 'fill.bpf.o');
