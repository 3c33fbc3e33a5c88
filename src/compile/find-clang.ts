import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { CompilerNotFoundError } from './errors.js';

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The clang binary to run: `name` itself when it contains a `/`, else the first executable
 * `name` in the `PATH` directories (as execvp would pick). Throws {@link CompilerNotFoundError}.
 */
export function findClang(name = 'clang', path = process.env['PATH'] ?? ''): string {
  if (name.includes('/')) {
    const abs = resolve(name);
    if (isExecutableFile(abs)) return abs;
    throw new CompilerNotFoundError(name, [abs]);
  }
  const dirs = path.split(delimiter).filter((d) => d !== '');
  for (const dir of dirs) {
    const candidate = join(resolve(dir), name);
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new CompilerNotFoundError(name, dirs);
}
