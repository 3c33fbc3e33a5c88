/**
 * Where a uprobe goes: the binary's path (libraries found as the dynamic loader finds them) and
 * the file offset of a function, as libbpf's `resolve_full_path()` and `elf_find_func_offset()`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { SymbolResolveError } from './errors.js';
import { parseUserElf, type UserElf, type UserSymbol } from './user-elf.js';

/** Directories searched for a library missing from `/etc/ld.so.cache` (libbpf's list plus multiarch). */
const LIBRARY_DIRS: readonly string[] = [
  '/lib64',
  '/usr/lib64',
  `/lib/${multiarch()}`,
  `/usr/lib/${multiarch()}`,
  '/lib',
  '/usr/lib',
  '/usr/local/lib',
];

function multiarch(): string {
  return process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
}

/** `FLAG_ELF_LIBC6 | FLAG_X8664_LIB64` / `FLAG_AARCH64_LIB64`: this architecture's cache entries. */
function cacheArchFlags(): number | undefined {
  if (process.arch === 'x64') return 0x0303;
  if (process.arch === 'arm64') return 0x0a03;
  return undefined;
}

const NEW_MAGIC = 'glibc-ld.so.cache1.1';
const OLD_MAGIC = 'ld.so-1.7.0';

/**
 * Library names and paths from `/etc/ld.so.cache` (glibc's "new" format, alone or after the old
 * one), for this architecture, in cache order. Missing or unreadable cache: empty.
 *
 * @example
 * ```ts
 * ldSoCache().get('libc.so.6'); // '/lib/x86_64-linux-gnu/libc.so.6'
 * ```
 */
export function ldSoCache(path = '/etc/ld.so.cache'): Map<string, string> {
  const out = new Map<string, string>();
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return out;
  }
  let base = 0;
  if (bytes.toString('latin1', 0, OLD_MAGIC.length) === OLD_MAGIC) {
    const nlibs = bytes.readUInt32LE(12);
    base = 16 + nlibs * 12;
    base = (base + 7) & ~7;
  }
  if (bytes.length < base + 48 || bytes.toString('latin1', base, base + NEW_MAGIC.length) !== NEW_MAGIC) return out;
  const nlibs = bytes.readUInt32LE(base + 20);
  const want = cacheArchFlags();
  const cstr = (off: number): string => {
    const at = base + off;
    if (at >= bytes.length) return '';
    const end = bytes.indexOf(0, at);
    return bytes.toString('utf8', at, end < 0 ? bytes.length : end);
  };
  for (let i = 0; i < nlibs; i++) {
    const e = base + 48 + i * 24;
    if (e + 24 > bytes.length) break;
    const flags = bytes.readInt32LE(e);
    if (want !== undefined && flags !== want) continue;
    const key = cstr(bytes.readUInt32LE(e + 4));
    const value = cstr(bytes.readUInt32LE(e + 8));
    if (!out.has(key)) out.set(key, value);
  }
  return out;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * The full path of a uprobe target, as libbpf resolves it: a name with a `/` is used as is; a
 * library name (`libc.so.6`, anything with `.so`) is looked up in the traced process's
 * `/proc/PID/maps` (when `pid` is given), then `/etc/ld.so.cache`, then the standard library
 * directories; any other bare name is searched in `$PATH`.
 *
 * @example
 * ```ts
 * resolveBinaryPath('libc.so.6'); // '/lib/x86_64-linux-gnu/libc.so.6'
 * resolveBinaryPath('bash');      // '/usr/bin/bash'
 * ```
 */
export function resolveBinaryPath(name: string, pid?: number): string {
  if (name.includes('/')) {
    if (!isFile(name)) throw new SymbolResolveError('no such file', name);
    return name;
  }
  if (name.includes('.so')) {
    if (pid !== undefined && pid > 0) {
      const found = libraryInMaps(name, pid);
      if (found !== undefined) return found;
    }
    const cached = ldSoCache().get(name);
    if (cached !== undefined && isFile(cached)) return cached;
    for (const dir of LIBRARY_DIRS) {
      const p = join(dir, name);
      if (isFile(p)) return p;
    }
    throw new SymbolResolveError(`library not found in ${pid !== undefined ? `/proc/${pid}/maps, ` : ''}/etc/ld.so.cache or ${LIBRARY_DIRS.join(', ')}`, name);
  }
  for (const dir of (process.env['PATH'] ?? '/usr/bin:/bin').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, name);
    if (isFile(p)) return p;
  }
  throw new SymbolResolveError('not found in $PATH', name);
}

/** A mapped file of `/proc/PID/maps` whose name is `name` or starts with it (`libc.so` -> `libc.so.6`). */
function libraryInMaps(name: string, pid: number): string | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const path = line.split(/\s+/).slice(5).join(' ');
    if (!path.startsWith('/')) continue;
    const base = path.slice(path.lastIndexOf('/') + 1);
    if (base === name || base.startsWith(`${name}.`) || base.startsWith(`${name}-`)) {
      // The process may have a private mount namespace: read the file through its root.
      const viaRoot = `/proc/${pid}/root${path}`;
      return existsSync(viaRoot) ? viaRoot : path;
    }
  }
  return undefined;
}

const elfCache = new Map<string, { mtimeMs: number; size: number; elf: UserElf }>();

/**
 * Parses (and caches by path, size and mtime) a binary for uprobe placement.
 *
 * @example
 * ```ts
 * const elf = loadUserElf('/usr/bin/bash');
 * ```
 */
export function loadUserElf(path: string): UserElf {
  const st = statSync(path);
  const cached = elfCache.get(path);
  if (cached !== undefined && cached.mtimeMs === st.mtimeMs && cached.size === st.size) return cached.elf;
  const elf = parseUserElf(readFileSync(path), path);
  elfCache.set(path, { mtimeMs: st.mtimeMs, size: st.size, elf });
  return elf;
}

/**
 * The file offset of function `symbol` in `elf`, as libbpf's `elf_find_func_offset()`: function
 * symbols (incl. IFUNC) of `.symtab` then `.dynsym`; a name without `@` also matches versioned
 * names (`malloc@@GLIBC_2.2.5`). Several matches at different offsets are ambiguous, unless
 * exactly one is global.
 *
 * @example
 * ```ts
 * symbolFileOffset(loadUserElf('/usr/bin/bash'), 'readline'); // e.g. 0xd5690n
 * ```
 */
export function symbolFileOffset(elf: UserElf, symbol: string): bigint {
  const matches = (s: UserSymbol): boolean => {
    if (s.name === symbol) return true;
    if (symbol.includes('@')) return false;
    const at = s.name.indexOf('@');
    return at > 0 && s.name.slice(0, at) === symbol;
  };
  const found = elf.symbols.filter(matches);
  if (found.length === 0) throw new SymbolResolveError('no such function symbol in .symtab or .dynsym', elf.path, symbol);
  const offsets = new Set(found.map((s) => s.fileOffset));
  if (offsets.size === 1) return found[0]!.fileOffset;
  const globals = found.filter((s) => s.bind === 1);
  const globalOffsets = new Set(globals.map((s) => s.fileOffset));
  if (globalOffsets.size === 1) return globals[0]!.fileOffset;
  throw new SymbolResolveError(`ambiguous: defined at file offsets ${[...offsets].map((o) => `0x${o.toString(16)}`).join(', ')}`, elf.path, symbol);
}

/**
 * Splits a uprobe SEC() target `path:func[+offset]` or `path:0xoffset` (libbpf's
 * `attach_uprobe()` grammar). `func` may carry `@VERSION`.
 *
 * @example
 * ```ts
 * parseUprobeTarget('libc.so.6:malloc+0x10'); // { binary: 'libc.so.6', symbol: 'malloc', offset: 16n }
 * ```
 */
export function parseUprobeTarget(target: string): { binary: string; symbol?: string; offset: bigint } | undefined {
  const colon = target.lastIndexOf(':');
  if (colon <= 0 || colon === target.length - 1) return undefined;
  const binary = target.slice(0, colon);
  const rest = target.slice(colon + 1);
  if (/^(0x[0-9a-fA-F]+|\d+)$/.test(rest)) return { binary, offset: BigInt(rest) };
  const plus = rest.lastIndexOf('+');
  if (plus > 0 && /^(0x[0-9a-fA-F]+|\d+)$/.test(rest.slice(plus + 1))) return { binary, symbol: rest.slice(0, plus), offset: BigInt(rest.slice(plus + 1)) };
  return { binary, symbol: rest, offset: 0n };
}
