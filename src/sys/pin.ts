import { existsSync, mkdirSync, opendirSync, readFileSync, statfsSync, type Dir } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BpfTsError } from '../errors/index.js';
import { AttrWriter } from './attr.js';
import { BpfCmd, bpfSyscall } from './bpf.js';
import { isNativeError, SysError } from './errors.js';
import { bpfFdKind, OwnedFd, type BpfFdKind } from './fd.js';
import { getBtfInfo, getLinkInfo, getMapInfo, getProgInfo, type FdLike } from './info.js';
import { native } from './native.js';

/** `BPF_FS_MAGIC` from `include/uapi/linux/magic.h`: `statfs().f_type` of a bpffs. */
export const BPF_FS_MAGIC = 0xcafe4a11;

/** Where bpftool and libbpf expect the BPF file system. */
export const DEFAULT_BPFFS = '/sys/fs/bpf';

/** `bpf_attr` of `BPF_OBJ_PIN` / `BPF_OBJ_GET`: `pathname`, `bpf_fd`, `file_flags`, `path_fd`. */
const OBJ_ATTR = { pathname: 0, bpfFd: 8, fileFlags: 12, SIZE: 16 } as const;

/** `BPF_F_RDONLY` / `BPF_F_WRONLY`: `file_flags` of `BPF_OBJ_GET`. */
export const ObjGetFlags = { RDONLY: 1 << 3, WRONLY: 1 << 4 } as const;
/** A `file_flags` value of `BPF_OBJ_GET`. */
export type ObjGetFlags = (typeof ObjGetFlags)[keyof typeof ObjGetFlags];

/**
 * No BPF file system where one is needed, and we could not (or may not) mount one. The message
 * says what to run.
 */
export class BpffsError extends BpfTsError {
  constructor(
    /** The directory that should be on a bpffs. */
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function cPath(path: string): Uint8Array {
  const bytes = new TextEncoder().encode(path);
  const z = new Uint8Array(bytes.byteLength + 1);
  z.set(bytes);
  return z;
}

/** True when `path` is on a BPF file system (`statfs().f_type == BPF_FS_MAGIC`). */
export function isBpffs(path: string): boolean {
  try {
    return Number(statfsSync(path).type) === BPF_FS_MAGIC;
  } catch {
    return false;
  }
}

/** Mount points of every bpffs in `/proc/mounts`, in mount order. */
export function bpffsMounts(): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/mounts', 'utf8');
  } catch {
    return [];
  }
  const mounts: string[] = [];
  for (const line of text.split('\n')) {
    const [, dir, type] = line.split(' ');
    // /proc/mounts escapes spaces and friends as octal (`\040`).
    if (type === 'bpf' && dir !== undefined) mounts.push(dir.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return mounts;
}

/** The nearest ancestor of `dir` (or `dir` itself) that exists. */
export function nearestExisting(dir: string): string {
  let at = resolve(dir);
  while (!existsSync(at)) {
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  return at;
}

/**
 * `mkdir -p`, one component at a time: Node's `mkdirSync(..., { recursive: true })` spins forever
 * when the kernel answers ENOENT for a parent that exists (e.g. under /proc).
 */
function mkdirParents(dir: string): void {
  const parts = resolve(dir).split('/').filter((p) => p !== '');
  let path = '';
  for (const part of parts) {
    path += `/${part}`;
    try {
      mkdirSync(path, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

const MS_BIND = 4096;
const MS_REC = 16384;
const MS_PRIVATE = 1 << 18;

/**
 * Makes sure `dir` is on a bpffs, mounting one there when it is not, the way bpftool does
 * (`mount --make-private` the directory, bind-mounting it onto itself first when it is not a
 * mount point, then `mount -t bpf bpf DIR -o mode=0700`). Needs root (CAP_SYS_ADMIN); without
 * it, throws a {@link BpffsError} that says what to run.
 *
 * @example
 * ```ts
 * ensureBpffs('/sys/fs/bpf');
 * objPin(fd, '/sys/fs/bpf/my_map');
 * ```
 */
export function ensureBpffs(dir: string = DEFAULT_BPFFS): void {
  if (isBpffs(dir)) return;
  // A directory still to be made inside a bpffs (`/sys/fs/bpf/app/sub` for a pin) is created
  // there: mounting a second bpffs over it would hide its pins from everyone else and outlive us.
  if (!existsSync(dir) && isBpffs(nearestExisting(dir))) {
    mkdirParents(dir);
    return;
  }
  const manual = `mount it with 'mount -t bpf bpf ${dir}' as root`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new BpffsError(dir, `no BPF file system at ${dir}, and mounting one needs root: ${manual}`);
  }
  const fail = (step: string, e: unknown): never => {
    const reason = isNativeError(e) ? `${e.code}: ${e.message}` : String(e);
    throw new BpffsError(dir, `no BPF file system at ${dir}, and '${step}' failed (${reason}): ${manual}`, { cause: e });
  };
  try {
    mkdirParents(dir);
  } catch (e) {
    fail(`mkdir -p ${dir}`, e);
  }
  // A directory just made inside a bpffs (`/sys/fs/bpf/app`) is on that bpffs: a second instance
  // mounted over it would hide its pins from every other view of the file system and outlive
  // the process as a stray mount.
  if (isBpffs(dir)) return;
  const n = native();
  let bound = false;
  for (;;) {
    try {
      n.mount('', dir, 'none', MS_PRIVATE | MS_REC, null);
      break;
    } catch (e) {
      // EINVAL: not a mount point; make it one and retry once.
      if (bound || !isNativeError(e) || e.code !== 'EINVAL') fail(`mount --make-private ${dir}`, e);
      try {
        n.mount(dir, dir, 'none', MS_BIND, null);
      } catch (e2) {
        fail(`mount --bind ${dir} ${dir}`, e2);
      }
      bound = true;
    }
  }
  try {
    n.mount('bpf', dir, 'bpf', 0, 'mode=0700');
  } catch (e) {
    fail(`mount -t bpf bpf ${dir}`, e);
  }
}

/**
 * `BPF_OBJ_PIN`: pins the object behind `fd` at `path`, which must be on a bpffs. When the
 * parent directory is not on one, mounts a bpffs there first as bpftool does (see
 * {@link ensureBpffs}; pass `{ mount: false }` to get a {@link BpffsError} instead).
 */
export function objPin(fd: FdLike, path: string, options: { readonly mount?: boolean } = {}): void {
  const dir = dirname(path);
  if (!isBpffs(dir)) {
    if (options.mount === false) throw new BpffsError(dir, `${dir} is not on a BPF file system: mount one with 'mount -t bpf bpf ${dir}'`);
    ensureBpffs(dir);
  }
  const name = cPath(path);
  const attr = new AttrWriter(OBJ_ATTR.SIZE)
    .pointer(OBJ_ATTR.pathname, name)
    .u32(OBJ_ATTR.bpfFd, typeof fd === 'number' ? fd : fd.fd);
  bpfSyscall(BpfCmd.OBJ_PIN, attr.bytes, `BPF_OBJ_PIN ${path}`, attr);
}

/**
 * `BPF_OBJ_GET`: opens the object pinned at `path`. When that fails with `EACCES` outside a
 * bpffs, the error says so (bpftool's "directory not in bpf file system (bpffs)").
 *
 * @example
 * ```ts
 * using fd = objGet('/sys/fs/bpf/my_map');
 * ```
 */
export function objGet(path: string, flags = 0): OwnedFd {
  const name = cPath(path);
  const attr = new AttrWriter(OBJ_ATTR.SIZE).pointer(OBJ_ATTR.pathname, name).u32(OBJ_ATTR.fileFlags, flags);
  try {
    return new OwnedFd(bpfSyscall(BpfCmd.OBJ_GET, attr.bytes, `BPF_OBJ_GET ${path}`, attr), `pinned ${path}`);
  } catch (e) {
    if (e instanceof SysError && e.code === 'EACCES' && !isBpffs(dirname(path))) {
      throw new SysError(`BPF_OBJ_GET ${path} failed (EACCES): directory not in bpf file system (bpffs)`, e.errno, e.code, 'bpf', e.command, { cause: e });
    }
    throw e;
  }
}

function objectId(fd: FdLike, kind: BpfFdKind): number | undefined {
  switch (kind) {
    case 'prog': return getProgInfo(fd).id;
    case 'map': return getMapInfo(fd).id;
    case 'link': return getLinkInfo(fd).id;
    case 'btf': return getBtfInfo(fd).id;
    default: return undefined;
  }
}

function* walkFiles(dir: string): Generator<string, void, void> {
  let handle: Dir;
  try {
    handle = opendirSync(dir);
  } catch {
    return;
  }
  try {
    for (let entry = handle.readSync(); entry !== null; entry = handle.readSync()) {
      const path = join(dir, entry.name);
      // Like nftw(FTW_PHYS): symlinks are not followed.
      if (entry.isDirectory()) yield* walkFiles(path);
      else if (entry.isFile()) yield path;
    }
  } finally {
    handle.closeSync();
  }
}

/** One pinned object found on a bpffs. */
export interface PinnedObject {
  /** The object's id. */
  readonly id: number;
  /** Where it is pinned. */
  readonly path: string;
}

/**
 * Every pin on any mounted bpffs whose object is of `kind`, in directory-walk order (mounts in
 * `/proc/mounts` order, entries in `readdir` order, depth first, symlinks not followed, like
 * bpftool's `nftw(FTW_PHYS)`): what `-f/--bpffs` prints. Paths that cannot be opened are
 * skipped.
 *
 * @example
 * ```ts
 * for (const { id, path } of pinnedPaths('map')) console.log(id, path);
 * ```
 */
export function pinnedPaths(kind: 'prog' | 'map' | 'link'): PinnedObject[] {
  const found: PinnedObject[] = [];
  for (const mount of bpffsMounts()) {
    for (const path of walkFiles(mount)) {
      let fd: OwnedFd;
      try {
        fd = objGet(path);
      } catch {
        continue;
      }
      try {
        const fdKind = bpfFdKind(fd);
        if (fdKind !== kind) continue;
        const id = objectId(fd, fdKind);
        if (id !== undefined) found.push({ id, path });
      } catch {
        continue;
      } finally {
        fd.close();
      }
    }
  }
  return found;
}
