import { BpfTsError } from '../errors/index.js';

/**
 * No C compiler for BPF: clang is not on `PATH` (or the binary named in `CompileOptions.clang`
 * does not exist / is not executable). The message says which Debian package provides it.
 *
 * @example
 * ```ts
 * try { await compile(src) } catch (e) { if (e instanceof CompilerNotFoundError) console.error(e.message); }
 * // clang not found on PATH: install the Debian package 'clang' (apt-get install clang), or pass { clang: '/path/to/clang' }
 * ```
 */
export class CompilerNotFoundError extends BpfTsError {
  constructor(
    /** The name or path that was looked for. */
    readonly compiler: string,
    /** Where it was looked for (the `PATH` directories, or the path itself). */
    readonly searched: readonly string[],
  ) {
    super(
      compiler.includes('/')
        ? `compiler ${compiler} not found or not executable: install the Debian package 'clang' (apt-get install clang), or pass another path`
        : `${compiler} not found on PATH: install the Debian package 'clang' (apt-get install clang), or pass { clang: '/path/to/clang' }`,
    );
  }
}

/**
 * clang refused the source. `diagnostics` is clang's stderr as it printed it (file:line:col:
 * error/warning lines with carets); the message carries the first error line.
 *
 * @example
 * ```ts
 * try { await compile('int x = ;') } catch (e) { if (e instanceof CompileError) console.error(e.diagnostics); }
 * ```
 */
export class CompileError extends BpfTsError {
  constructor(
    /** The source's name in the diagnostics (`CompileOptions.fileName` or the file compiled). */
    readonly fileName: string,
    /** clang's stderr. */
    readonly diagnostics: string,
    /** clang's exit status (or the signal that ended it). */
    readonly exitCode: number | string,
  ) {
    const first = diagnostics.split('\n').find((l) => /\berror\b/.test(l)) ?? diagnostics.split('\n').find((l) => l.trim() !== '') ?? `clang exited with ${exitCode}`;
    const errors = diagnostics.match(/^.*\berror: /gm)?.length ?? 0;
    super(`compile ${fileName} failed: ${first.trim()}${errors > 1 ? ` (and ${errors - 1} more errors)` : ''}`);
  }
}

/**
 * The compile cache cannot be written: its directory (or a parent) is read-only, not a directory,
 * or the disk is full. `cause` is the file-system error; the message names the directory and
 * where to point the cache instead.
 *
 * @example
 * ```ts
 * await compile(src, { cacheDir: '/read-only/bpf-ts' });
 * // CompileCacheError: compile cache /read-only/bpf-ts is not writable (EROFS: mkdir ...): pass { cacheDir } or set XDG_CACHE_HOME to a writable directory
 * ```
 */
export class CompileCacheError extends BpfTsError {
  constructor(
    /** The cache directory in use. */
    readonly cacheDir: string,
    /** The errno name of the failure (`EACCES`, `EROFS`, `ENOTDIR`, `ENOSPC`, ...). */
    readonly code: string,
    options: { readonly cause: unknown },
  ) {
    super(`compile cache ${cacheDir} is not writable (${code}: ${(options.cause as Error).message}): pass { cacheDir } or set XDG_CACHE_HOME to a writable directory`, options);
  }
}
