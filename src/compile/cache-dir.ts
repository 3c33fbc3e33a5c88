import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * Where compiled objects are cached: `$XDG_CACHE_HOME/bpf-ts`, or `~/.cache/bpf-ts` when
 * `XDG_CACHE_HOME` is unset or relative (the XDG base directory spec says to ignore relative
 * values).
 *
 * @example
 * ```ts
 * defaultCacheDir(); // '/root/.cache/bpf-ts'
 * ```
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'bpf-ts');
}

/** A name no other process or call will pick: `<base>.<pid>.<random>.tmp`. */
export function uniqueTempName(base: string): string {
  return `${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/**
 * Writes `data` to `path` so that readers see either nothing or the whole file: write a unique
 * temporary file next to it, then rename(2) over `path`.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = uniqueTempName(path);
  try {
    writeFileSync(tmp, data, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** `mkdir -p` with the cache's permissions (the cache may hold objects built from private sources). */
export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
