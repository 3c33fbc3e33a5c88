import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { parseObjectSpec, type ObjectSpec } from '../loader/object-spec.js';
import { ensureDir, defaultCacheDir, uniqueTempName } from './cache-dir.js';
import { clangVersion } from './clang-version.js';
import { parseDepfile } from './depfile.js';
import { CompileCacheError, CompileError } from './errors.js';
import { findClang } from './find-clang.js';
import { ensureVmlinuxHeader } from './vmlinux-header.js';

/** Options of {@link compile}. */
export interface CompileOptions {
  /** The clang binary: a name looked up on `PATH` or a path. Default `clang`. */
  readonly clang?: string;
  /** Extra clang flags, after the defaults (`-DDEBUG`, `-Wall`, `-mcpu=v3`, ...). */
  readonly cflags?: readonly string[];
  /** Extra `-I` directories (searched after the one holding `vmlinux.h`). */
  readonly includeDirs?: readonly string[];
  /** The source's name in diagnostics and the object's file name. Default `program.bpf.c`. */
  readonly fileName?: string;
  /** Cache directory. Default {@link defaultCacheDir}: `$XDG_CACHE_HOME/bpf-ts` or `~/.cache/bpf-ts`. */
  readonly cacheDir?: string;
  /** Run clang even when the cache has the object (the new object replaces the cached one). */
  readonly force?: boolean;
  /** BTF to generate `vmlinux.h` from. Default `/sys/kernel/btf/vmlinux` (the running kernel). */
  readonly vmlinuxBtf?: string;
}

/** What {@link compile} produced. */
export interface CompileResult {
  /** The object file, inside the cache (do not modify it; copy it to keep it). */
  readonly path: string;
  /** The object's bytes. */
  readonly bytes: Uint8Array;
  /** True when the object came from the cache and clang did not run. */
  readonly cached: boolean;
  /** The content hash the object is cached under. */
  readonly key: string;
  /** clang's warnings when it ran (`''` on a cache hit or a clean compile). */
  readonly diagnostics: string;
  /** The clang command line, as run (or as it would have run, on a cache hit). */
  readonly command: readonly string[];
}

/** `-D__TARGET_ARCH_*` for the host, as libbpf's bpf_tracing.h spells the architectures. */
function targetArch(): string {
  const arches: Record<string, string> = { x64: 'x86', arm64: 'arm64', arm: 'arm', s390x: 's390', ppc64: 'powerpc', riscv64: 'riscv', loong64: 'loongarch', mips: 'mips' };
  return arches[process.arch] ?? process.arch;
}

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** One header the object was built from, with the hash of its content then. */
interface Dependency {
  readonly path: string;
  readonly sha256: string;
}

interface Manifest {
  readonly key: string;
  readonly object: string;
  readonly dependencies: readonly Dependency[];
}

/** The cached entry for `key` if it exists and every header it was built from is unchanged. */
function lookup(entryDir: string, key: string): { path: string; bytes: Uint8Array } | undefined {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(entryDir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  if (manifest.key !== key) return undefined;
  for (const dep of manifest.dependencies) {
    let content: Buffer;
    try {
      content = readFileSync(dep.path);
    } catch {
      return undefined;
    }
    if (sha256(content) !== dep.sha256) return undefined;
  }
  const path = join(entryDir, manifest.object);
  try {
    return { path, bytes: readFileSync(path) };
  } catch {
    return undefined;
  }
}

function runClang(clang: string, args: readonly string[], cwd: string): Promise<{ code: number | string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    execFile(clang, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 }, (error, _stdout, stderr) => {
      if (error === null) return resolvePromise({ code: 0, stderr });
      const e = error as NodeJS.ErrnoException & { code?: number | string; signal?: string | null };
      if (typeof e.code === 'string' && e.code !== '' && !/^\d+$/.test(e.code) && e.signal == null && stderr === '') return reject(error);
      resolvePromise({ code: typeof e.code === 'number' ? e.code : (e.signal ?? e.code ?? 1), stderr });
    });
  });
}

/** Where the compile happens and what it is called. */
interface SourceInput {
  readonly source: string;
  /** Name shown in diagnostics and used for the object's file name. */
  readonly fileName: string;
  /** The file to hand to clang: an existing file (compileFile) or undefined (write `source` in the staging dir). */
  readonly file?: string;
}

/**
 * Runs `step`, turning a file-system failure inside the cache (read-only, not a directory, disk
 * full) into a {@link CompileCacheError} naming the cache; other errors pass through.
 */
async function writingCache<T>(cacheDir: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // Node's fs errors carry the syscall; a failed spawn of clang ('spawn ...') is not the cache's.
    if (typeof err.code === 'string' && typeof err.syscall === 'string' && !err.syscall.startsWith('spawn')) {
      throw new CompileCacheError(cacheDir, err.code, { cause: e });
    }
    throw e;
  }
}

async function compileSource(input: SourceInput, options: CompileOptions): Promise<CompileResult> {
  const clang = findClang(options.clang ?? 'clang');
  const cacheDir = resolve(options.cacheDir ?? defaultCacheDir());
  const { version, header } = await writingCache(cacheDir, async () => {
    ensureDir(cacheDir);
    return { version: await clangVersion(clang, cacheDir), header: ensureVmlinuxHeader(cacheDir, options.vmlinuxBtf) };
  });
  const base = basename(input.fileName);
  const objectName = `${base.endsWith('.c') ? base.slice(0, -2) : base}.o`;
  const includeDirs = (options.includeDirs ?? []).map((d) => resolve(d));
  const flags = ['-O2', '-g', '-target', 'bpf', `-D__TARGET_ARCH_${targetArch()}`, '-I', header.dir, ...includeDirs.flatMap((d) => ['-I', d]), ...(options.cflags ?? [])];
  const key = sha256(JSON.stringify({ source: input.source, name: base, file: input.file ?? null, flags, clang, version, btf: header.identity }));
  const entryDir = join(cacheDir, 'objects', key.slice(0, 40));
  const srcArg = input.file ?? base;
  const command = [clang, ...flags, '-c', srcArg, '-o', objectName];

  if (options.force !== true) {
    const hit = lookup(entryDir, key);
    if (hit !== undefined) return { ...hit, cached: true, key, diagnostics: '', command };
  }

  const staging = await writingCache(cacheDir, () => {
    ensureDir(join(cacheDir, 'objects'));
    return Promise.resolve(mkdtempSync(join(ensureDir(join(cacheDir, 'tmp')), 'build-')));
  });
  try {
    return await writingCache(cacheDir, async () => {
      if (input.file === undefined) writeFileSync(join(staging, base), input.source);
      // The staging directory's random name would land in the DWARF (comp_dir): map it to '.' so
      // the same inputs give the same bytes, whichever compile wins the race to the cache.
      const reproducible = [`-fdebug-prefix-map=${staging}=.`];
      const { code, stderr } = await runClang(clang, [...flags, ...reproducible, '-MD', '-MF', 'deps.d', '-c', srcArg, '-o', objectName], staging);
      if (code !== 0) throw new CompileError(input.fileName, stderr, code);
      const bytes = readFileSync(join(staging, objectName));
      // The source is in the key and vmlinux.h's BTF too; other headers are checked on lookup.
      const own = new Set([join(staging, base), header.path, input.file === undefined ? '' : resolve(input.file)]);
      const dependencies: Dependency[] = [];
      for (const dep of parseDepfile(readFileSync(join(staging, 'deps.d'), 'utf8'))) {
        const path = isAbsolute(dep) ? dep : resolve(staging, dep);
        if (own.has(path) || !existsSync(path)) continue;
        dependencies.push({ path, sha256: sha256(readFileSync(path)) });
      }
      rmSync(join(staging, 'deps.d'), { force: true });
      if (input.file === undefined) rmSync(join(staging, base), { force: true });
      const manifest: Manifest = { key, object: objectName, dependencies };
      writeFileSync(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
      publishEntry(staging, entryDir);
      return { path: join(entryDir, objectName), bytes, cached: false, key, diagnostics: stderr, command };
    });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Moves a finished staging directory to `entryDir` with rename(2), so readers see a complete
 * entry or none. When another compile stored the same key first, theirs stays (same inputs);
 * a stale entry (changed headers, or `force`) is moved aside first.
 */
function publishEntry(staging: string, entryDir: string): void {
  try {
    renameSync(staging, entryDir);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
  }
  const trash = uniqueTempName(entryDir);
  try {
    renameSync(entryDir, trash);
  } catch {
    // Someone else moved it meanwhile.
  }
  try {
    renameSync(staging, entryDir);
  } catch {
    // A concurrent compile stored an entry in between: keep it.
  }
  rmSync(trash, { recursive: true, force: true });
}

/**
 * Compiles BPF C to an object with the system clang, as bcc's `BPF(text=...)` does but ahead of
 * load and with CO-RE: `clang -O2 -g -target bpf -D__TARGET_ARCH_x86` with a `vmlinux.h`
 * generated from the running kernel's BTF by bpf-ts's own C dumper, and the libbpf headers from
 * the system include path (`<bpf/bpf_helpers.h>`, Debian's `libbpf-dev`).
 *
 * Objects are cached by content hash (source, file name, flags, the clang binary and its
 * `--version`, the vmlinux BTF) under {@link defaultCacheDir}; a hit runs no process. Headers
 * the source includes are recorded with their hashes, and a changed header is a miss. Entries
 * are renamed into place, so concurrent compiles (other processes too) are safe.
 *
 * Throws {@link CompilerNotFoundError} without clang, {@link CompileError} with clang's
 * diagnostics when the source does not compile.
 *
 * @example
 * ```ts
 * const { path } = await compile(`
 *   #include "vmlinux.h"
 *   #include <bpf/bpf_helpers.h>
 *   SEC("tp/syscalls/sys_enter_execve")
 *   int hello(void *ctx) { bpf_printk("hello"); return 0; }
 *   char LICENSE[] SEC("license") = "GPL";
 * `);
 * using obj = await loadObject(await loadObjectSpec(path));
 * ```
 */
export function compile(cSource: string, options: CompileOptions = {}): Promise<CompileResult> {
  return compileSource({ source: cSource, fileName: options.fileName ?? 'program.bpf.c' }, options);
}

/**
 * {@link compile} for a file on disk: `#include "local.h"` resolves next to it, diagnostics
 * name it, and edits to it or its headers are cache misses.
 *
 * @example
 * ```ts
 * const { path } = await compileFile('examples/hello/hello.bpf.c');
 * ```
 */
export async function compileFile(file: string, options: Omit<CompileOptions, 'fileName'> = {}): Promise<CompileResult> {
  const source = await readFile(file, 'utf8');
  return compileSource({ source, fileName: file, file: resolve(file) }, { ...options, includeDirs: [...(options.includeDirs ?? []), dirname(resolve(file))] });
}

/**
 * Compiles and parses in one call: bcc's `BPF(text=...)` up to (not including) load, so
 * `.rodata` knobs can still be set on the spec.
 *
 * @example
 * ```ts
 * const { spec } = await compileObjectSpec(source);
 * spec.variables.get('min_duration_ns')!.set(1_000_000n);
 * using obj = await loadObject(spec);
 * ```
 */
export async function compileObjectSpec(cSource: string, options: CompileOptions = {}): Promise<CompileResult & { spec: ObjectSpec }> {
  const result = await compile(cSource, options);
  return { ...result, spec: parseObjectSpec(result.bytes, { fileName: result.path }) };
}
