import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureDir, writeFileAtomic } from './cache-dir.js';

const run = promisify(execFile);

/**
 * `clang --version`, remembered in the cache per binary (its real path, inode, size and mtime),
 * so a cache hit runs no process at all. A replaced or upgraded clang has a new identity and is
 * asked again.
 */
export async function clangVersion(clang: string, cacheDir: string): Promise<string> {
  const real = realpathSync(clang);
  const st = statSync(real);
  const identity = createHash('sha256').update(`${real}\0${st.dev}\0${st.ino}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 32);
  const file = join(ensureDir(join(cacheDir, 'clang')), `${identity}.version`);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    const { stdout } = await run(clang, ['--version'], { encoding: 'utf8' });
    writeFileAtomic(file, stdout);
    return stdout;
  }
}
