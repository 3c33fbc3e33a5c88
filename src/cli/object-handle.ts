import { dirname } from 'node:path';
import { SysError } from '../sys/errors.js';
import { bpfFdKind, type OwnedFd } from '../sys/fd.js';
import { getFdById, objectIds, ObjectNotFoundError, type BpfObjectKind } from '../sys/ids.js';
import { getMapInfo, getProgInfo } from '../sys/info.js';
import { objGet } from '../sys/pin.js';
import { strerror } from '../sys/strerror.js';
import { CliError } from './context.js';
import { isKeyword } from './grammar.js';
import { progFullName } from './prog-name.js';

/**
 * `strtoul(word, &end, 0)` accepting the whole word, as bpftool parses ids: decimal, `0x` hex,
 * leading-`0` octal, surrounding sign; out-of-range values saturate and then truncate to u32
 * like the C code. `undefined` when anything is left over.
 */
export function parseCUnsigned(word: string): number | undefined {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?$/.exec(word);
  if (!m) return undefined;
  const digits = m[2];
  if (digits === undefined) return m[1] === '' ? 0 : undefined;
  let v = BigInt(digits.startsWith('0') && digits.length > 1 && !/^0[xX]/.test(digits) ? `0o${digits.slice(1)}` : digits);
  const ULONG_MAX = (1n << 64n) - 1n;
  if (v > ULONG_MAX) v = ULONG_MAX;
  if (m[1] === '-') v = (ULONG_MAX + 1n - v) & ULONG_MAX;
  return Number(v & 0xffff_ffffn);
}

/** bpftool's `MAX_PROG_FULL_NAME`: the longest full program name it accepts, with the NUL. */
const MAX_PROG_FULL_NAME = 128;
/** `BPF_OBJ_NAME_LEN`. */
const BPF_OBJ_NAME_LEN = 16;

/**
 * Turns a failed syscall into the CLI error bpftool prints (`<what>: <strerror>`, exit 255),
 * except `EPERM`, which becomes one line saying root is needed, with exit code 1.
 */
export function cliSysError(e: unknown, what: string): CliError {
  if (e instanceof SysError) {
    if (e.code === 'EPERM') {
      return new CliError(`${what}: ${strerror(e.errno)} (run as root: listing and opening BPF objects by id needs CAP_SYS_ADMIN)`, 1, { cause: e });
    }
    return new CliError(`${what}: ${strerror(e.errno)}`, 255, { cause: e });
  }
  if (e instanceof CliError) return e;
  return new CliError(`${what}: ${e instanceof Error ? e.message : String(e)}`, 255, { cause: e });
}

function nextWord(args: readonly string[], i: number): string {
  const w = args[i];
  // bpftool calls usage() when a keyword lacks its argument.
  if (w === undefined) throw new CliError(`expected an argument after '${args[i - 1] ?? ''}'`);
  return w;
}

function parseId(word: string): number {
  const id = parseCUnsigned(word);
  if (id === undefined) throw new CliError(`can't parse ${word} as ID`);
  return id;
}

function byId(kind: BpfObjectKind, id: number, what: string): OwnedFd {
  try {
    return getFdById(kind, id);
  } catch (e) {
    throw cliSysError(e, what);
  }
}

const KIND_NAMES: Readonly<Record<string, string>> = { prog: 'prog', map: 'map', link: 'link', btf: 'unknown', unknown: 'unknown' };

/** `open_obj_pinned_any()`: a pinned object that must be of `kind`. */
export function openPinned(path: string, kind: 'prog' | 'map' | 'link'): OwnedFd {
  let fd: OwnedFd;
  try {
    fd = objGet(path);
  } catch (e) {
    const bpffsHint = e instanceof SysError && /not in bpf file system/.test(e.message);
    // bpftool names the directory here (its dirname() call rewrites the path it then prints).
    if (bpffsHint) throw new CliError(`bpf obj get (${dirname(path)}): directory not in bpf file system (bpffs)`, 255, { cause: e });
    throw cliSysError(e, `bpf obj get (${path})`);
  }
  const actual = bpfFdKind(fd);
  if (actual !== kind) {
    fd.close();
    throw new CliError(`incorrect object type: ${KIND_NAMES[actual] ?? 'unknown'}`);
  }
  return fd;
}

function closeAll(fds: readonly OwnedFd[]): void {
  for (const fd of fds) fd.close();
}

/**
 * Every program matching a predicate on its info (bpftool's `prog_fd_by_nametag`), as open fds.
 */
function progsWhere(match: (fd: OwnedFd) => boolean): OwnedFd[] {
  const fds: OwnedFd[] = [];
  try {
    for (const id of objectIds('prog')) {
      const fd = byId('prog', id, `can't get prog by id (${id})`);
      let keep = false;
      try {
        keep = match(fd);
      } catch (e) {
        fd.close();
        throw cliSysError(e, `can't get prog info (${id})`);
      }
      if (keep) fds.push(fd);
      else fd.close();
    }
  } catch (e) {
    closeAll(fds);
    throw cliSysError(e, 'get next program');
  }
  return fds;
}

/**
 * bpftool's `prog_parse_fds`: `id ID | tag TAG | name NAME | pinned PATH` -> the matching program
 * fds (possibly none, for a tag or name nothing has). The caller closes them.
 */
export function parseProgHandle(args: readonly string[]): OwnedFd[] {
  const [kw] = args;
  if (isKeyword(kw, 'id')) {
    const id = parseId(nextWord(args, 1));
    return [byId('prog', id, `get by id (${id})`)];
  }
  if (isKeyword(kw, 'tag')) {
    const word = nextWord(args, 1);
    const m = /^([0-9a-fA-F]{2}){8}/.exec(word);
    if (!m) throw new CliError("can't parse tag");
    const tag = m[0].toLowerCase();
    return progsWhere((fd) => getProgInfo(fd).tag === tag);
  }
  if (isKeyword(kw, 'name')) {
    const name = nextWord(args, 1);
    if (name.length > MAX_PROG_FULL_NAME - 1) throw new CliError("can't parse name");
    return progsWhere((fd) => progFullName(getProgInfo(fd), fd) === name);
  }
  if (isKeyword(kw, 'pinned')) return [openPinned(nextWord(args, 1), 'prog')];
  throw new CliError(`expected 'id', 'tag', 'name' or 'pinned', got: '${kw ?? ''}'?`);
}

/** bpftool's `map_parse_fds`: `id ID | name NAME | pinned PATH` -> the matching map fds. */
export function parseMapHandle(args: readonly string[]): OwnedFd[] {
  const [kw] = args;
  if (isKeyword(kw, 'id')) {
    const id = parseId(nextWord(args, 1));
    return [byId('map', id, `get map by id (${id})`)];
  }
  if (isKeyword(kw, 'name')) {
    const name = nextWord(args, 1);
    if (name.length > BPF_OBJ_NAME_LEN - 1) throw new CliError("can't parse name");
    const fds: OwnedFd[] = [];
    try {
      for (const id of objectIds('map')) {
        const fd = byId('map', id, `can't get map by id (${id})`);
        let info;
        try {
          info = getMapInfo(fd);
        } catch (e) {
          fd.close();
          throw cliSysError(e, `can't get map info (${id})`);
        }
        if (info.name === name) fds.push(fd);
        else fd.close();
      }
    } catch (e) {
      closeAll(fds);
      throw cliSysError(e, 'get next map');
    }
    return fds;
  }
  if (isKeyword(kw, 'pinned')) return [openPinned(nextWord(args, 1), 'map')];
  throw new CliError(`expected 'id', 'name' or 'pinned', got: '${kw ?? ''}'?`);
}

/** bpftool's `link_parse_fd`: `id ID | pinned PATH`. */
export function parseLinkHandle(args: readonly string[]): OwnedFd {
  const [kw] = args;
  if (isKeyword(kw, 'id')) {
    const id = parseId(nextWord(args, 1));
    try {
      // bpftool prints the id with %d.
      return byId('link', id, `failed to get link with ID ${id | 0}`);
    } catch (e) {
      // bpftool's link show returns libbpf's -errno as its exit status here (ENOENT: 254).
      const errno = e instanceof CliError && e.cause instanceof SysError ? e.cause.errno : 0;
      if (e instanceof CliError && errno > 0 && e.exitCode === 255) throw new CliError(e.message, (256 - errno) & 0xff, { cause: e.cause });
      throw e;
    }
  }
  if (isKeyword(kw, 'pinned')) return openPinned(nextWord(args, 1), 'link');
  throw new CliError(`expected 'id' or 'pinned', got: '${kw ?? ''}'?`);
}

/** bpftool's `btf_parse_fd`: `id ID`. */
export function parseBtfHandle(args: readonly string[]): OwnedFd {
  const [kw] = args;
  if (!isKeyword(kw, 'id')) throw new CliError(`expected 'id', got: '${kw ?? ''}'?`);
  const id = parseId(nextWord(args, 1));
  return byId('btf', id, `can't get BTF object by id (${id})`);
}

/**
 * Ids of every object of `kind`, lazily, with a failing `GET_NEXT_ID` reported as bpftool does
 * (`<what>: <strerror>`; `EPERM` as the one-line "needs root" error).
 */
export function* listObjectIds(kind: BpfObjectKind, what: string): Generator<number, void, void> {
  const ids = objectIds(kind);
  for (;;) {
    let next: IteratorResult<number, void>;
    try {
      next = ids.next();
    } catch (e) {
      throw cliSysError(e, what);
    }
    if (next.done === true) return;
    yield next.value;
  }
}

/**
 * Visits every object of `kind` with an fd opened by id, closed afterwards. An object freed
 * between listing and opening is skipped, as bpftool does on ENOENT (and a link not yet settled,
 * EAGAIN, which bpftool reports as an error); other failures are
 * reported with bpftool's wording (`nextWhat` for GET_NEXT_ID, `byIdWhat(id)` for GET_FD_BY_ID).
 */
export function forEachObject(kind: BpfObjectKind, nextWhat: string, byIdWhat: (id: number) => string, visit: (fd: OwnedFd, id: number) => void): void {
  for (const id of listObjectIds(kind, nextWhat)) {
    let fd: OwnedFd;
    try {
      fd = getFdById(kind, id);
    } catch (e) {
      // EAGAIN: a link another process is still creating (its id exists, it is not settled yet);
      // like one freed meanwhile, it is not there to show.
      if (e instanceof ObjectNotFoundError || (e instanceof SysError && e.code === 'EAGAIN')) continue;
      throw cliSysError(e, byIdWhat(id));
    }
    try {
      visit(fd, id);
    } finally {
      fd.close();
    }
  }
}
