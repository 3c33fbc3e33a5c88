import { readFileSync } from 'node:fs';
import { Btf, parseBtf } from '../btf/btf.js';
import { BtfError } from '../btf/errors.js';
import { dumpBtfRawChunks, dumpBtfRawJsonChunks } from '../btf/raw-dump.js';
import type { BtfTypeTable } from '../btf/types.js';
import { ElfError } from '../elf/errors.js';
import { parseElf } from '../elf/parse.js';
import { SysError } from '../sys/errors.js';
import type { OwnedFd } from '../sys/fd.js';
import { btfGetFdById } from '../sys/ids.js';
import { getBtfInfo, getMapInfo, getProgInfo, type MapInfo } from '../sys/info.js';
import { strerror } from '../sys/strerror.js';
import { parseMapHandle, parseProgHandle } from './object-handle.js';
import { CliError, type CliContext } from './context.js';
import { isKeyword } from './grammar.js';

const SYSFS_BTF = '/sys/kernel/btf/';
const SYSFS_VMLINUX = '/sys/kernel/btf/vmlinux';
const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;

type DumpFormat = 'raw' | 'c';

/** Which of a map's BTF types `btf dump map` starts from (bpftool: key, value, kv, all). */
type MapPart = 'key' | 'value' | 'kv' | 'all';

interface DumpRequest {
  readonly source: 'file' | 'id' | 'prog' | 'map';
  /** The words naming the object: `[FILE]`, `[ID]`, or a PROG/MAP handle (`id 3`). */
  readonly handle: readonly string[];
  readonly target: string;
  readonly mapPart: MapPart;
  readonly format: DumpFormat | undefined;
  readonly rootIds: readonly number[];
}

/** bpftool's `MAX_ROOT_IDS`. */
const MAX_ROOT_IDS = 16;

/** `strtoul(word, &end, 0)` over the whole word: decimal, 0x hex or 0 octal. */
function parseUnsigned(word: string): number | undefined {
  if (!/^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(word)) return undefined;
  const v = word.length > 1 && word.startsWith('0') && !/^0[xX]/.test(word) ? parseInt(word.slice(1), 8) : Number(word);
  return v > 0xffffffff ? undefined : v;
}

function parseArgs(args: readonly string[]): DumpRequest {
  const [src, ...after] = args;
  if (src === undefined || after.length === 0) throw new CliError('expected BTF_SRC (id | prog | map | file) and its argument');
  let source: DumpRequest['source'];
  if (isKeyword(src, 'map')) source = 'map';
  else if (isKeyword(src, 'prog')) source = 'prog';
  else if (isKeyword(src, 'id')) source = 'id';
  else if (isKeyword(src, 'file')) source = 'file';
  else throw new CliError(`unrecognized BTF source specifier: '${src}'`);
  // PROG and MAP are two words (`id 3`, `pinned /sys/fs/bpf/x`, `name foo`, `tag ...`).
  const handleWords = source === 'prog' || source === 'map' ? 2 : 1;
  const handle = after.slice(0, handleWords);
  const rest = after.slice(handleWords);
  let mapPart: MapPart = 'kv';
  if (source === 'map') {
    const word = rest[0];
    for (const part of ['key', 'value', 'all', 'kv'] as const) {
      if (isKeyword(word, part)) {
        mapPart = part;
        rest.shift();
        break;
      }
    }
  }
  const target = handle.join(' ');
  let format: DumpFormat | undefined;
  const rootIds: number[] = [];
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i] as string;
    if (isKeyword(word, 'format')) {
      const value = rest[++i];
      if (value === undefined) throw new CliError("expecting value for 'format' option");
      // bpftool compares the format value exactly (strcmp), unlike keywords.
      if (value === 'raw') format = 'raw';
      else if (value === 'c') format = 'c';
      else throw new CliError(`unrecognized format specifier: '${value}', possible values: raw, c`);
    } else if (isKeyword(word, 'root_id')) {
      const value = rest[++i] ?? '';
      const id = parseUnsigned(value);
      if (id === undefined) throw new CliError(`can't parse ${value} as root ID`);
      if (rootIds.includes(id)) throw new CliError(`duplicate root_id ${id} supplied`);
      if (rootIds.length === MAX_ROOT_IDS) throw new CliError(`only ${MAX_ROOT_IDS} root_id are supported`);
      rootIds.push(id);
    } else {
      throw new CliError(`unrecognized option: '${word}'`);
    }
  }
  return { source, handle, target, format, rootIds, mapPart };
}

function readFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CliError(`failed to load BTF from ${path}: ${err.code === 'ENOENT' ? 'No such file or directory' : err.message}`, 255, { cause: e });
  }
}

/** A raw BTF blob, or the `.BTF` section when `bytes` is an ELF object (`btf__parse`'s rule). */
function btfBytesOf(path: string, bytes: Uint8Array): Uint8Array {
  if (!ELF_MAGIC.every((b, i) => bytes[i] === b)) return bytes;
  const elf = parseElf(bytes, { fileName: path, machines: 'any' });
  const section = elf.sectionByName('.BTF');
  if (section === undefined) throw new CliError(`failed to load BTF from ${path}: no .BTF section`);
  return section.data();
}

function loadFile(path: string, base: Btf | undefined): Btf {
  try {
    return parseBtf(btfBytesOf(path, readFile(path)), base === undefined ? {} : { base });
  } catch (e) {
    if (e instanceof BtfError || e instanceof ElfError) throw new CliError(`failed to load BTF from ${path}: ${e.message}`, 255, { cause: e });
    throw e;
  }
}

/** bpftool's base rule: `-B FILE` wins; `/sys/kernel/btf/<module>` gets vmlinux automatically. */
function baseFor(path: string): Btf | undefined {
  const explicit = process.env['BPF_TS_BASE_BTF'];
  if (explicit !== undefined && explicit !== '') return loadFile(explicit, undefined);
  if (path.startsWith(SYSFS_BTF) && path !== SYSFS_VMLINUX) return loadFile(SYSFS_VMLINUX, undefined);
  return undefined;
}

type CDumper = (btf: BtfTypeTable, options?: Record<string, unknown>) => string;

async function cDumper(): Promise<CDumper> {
  const mod = (await import('../btf/index.js')) as Record<string, unknown>;
  const fn = mod['dumpBtfAsC'];
  if (typeof fn !== 'function') throw new CliError("format c is not available yet: src/btf/c-dump.ts does not export 'dumpBtfAsC'");
  return fn as CDumper;
}

interface Loaded {
  readonly btf: Btf;
  /** Types the source itself selects (a map's key/value), before any `root_id`. */
  readonly rootIds: readonly number[];
}

function closeAll(fds: readonly OwnedFd[]): void {
  for (const fd of fds) fd.close();
}

function singleHandle(fds: OwnedFd[], noun: string): OwnedFd {
  if (fds.length === 1) return fds[0] as OwnedFd;
  closeAll(fds);
  throw new CliError(fds.length === 0 ? `no ${noun} matches this handle` : `several ${noun}s match this handle`);
}

/** bpftool's `btf__load_from_kernel_by_id_split`: raw BTF of a kernel BTF object, parsed. */
function loadKernelBtfById(id: number, ctx: CliContext): Btf {
  let fd: OwnedFd;
  try {
    fd = btfGetFdById(id);
  } catch (e) {
    // bpftool fails twice here: once checking whether the id is module BTF, once loading it.
    if (!ctx.json) ctx.err(`Error: can't get BTF object by id (${id}): ${e instanceof SysError ? strerror(e.errno) : (e as Error).message}\n`);
    throw new CliError(`get btf by id (${id}): ${e instanceof SysError ? strerror(e.errno) : (e as Error).message}`, 255, { cause: e });
  }
  try {
    const info = getBtfInfo(fd, { data: true });
    if (info.data === undefined) throw new CliError(`get btf by id (${id}): no BTF data`);
    const explicit = process.env['BPF_TS_BASE_BTF'];
    let base: Btf | undefined;
    if (explicit !== undefined && explicit !== '') base = loadFile(explicit, undefined);
    else if (info.kernelBtf && info.name !== 'vmlinux') base = loadFile(SYSFS_VMLINUX, undefined);
    try {
      return parseBtf(info.data, base === undefined ? {} : { base });
    } catch (e) {
      if (e instanceof BtfError) throw new CliError(`get btf by id (${id}): ${e.message}`, 255, { cause: e });
      throw e;
    }
  } finally {
    fd.close();
  }
}

function loadKernelObjectBtf(req: DumpRequest, ctx: CliContext): Loaded {
  if (req.source === 'id') {
    const id = parseUnsigned(req.target);
    if (id === undefined) throw new CliError(`can't parse ${req.target} as ID`);
    return { btf: loadKernelBtfById(id, ctx), rootIds: [] };
  }
  if (req.source === 'prog') {
    const fd = singleHandle(parseProgHandle(req.handle), 'program');
    let btfId: number;
    try {
      btfId = getProgInfo(fd).btfId;
    } catch (e) {
      throw new CliError(`can't get prog info: ${e instanceof SysError ? strerror(e.errno) : (e as Error).message}`, 255, { cause: e });
    } finally {
      fd.close();
    }
    return { btf: loadKernelBtfById(btfId, ctx), rootIds: [] };
  }
  const fd = singleHandle(parseMapHandle(req.handle), 'map');
  let info: MapInfo;
  try {
    info = getMapInfo(fd);
  } catch (e) {
    throw new CliError(`can't get map info: ${e instanceof SysError ? strerror(e.errno) : (e as Error).message}`, 255, { cause: e });
  } finally {
    fd.close();
  }
  const rootIds =
    req.mapPart === 'key' ? [info.btfKeyTypeId]
    : req.mapPart === 'value' ? [info.btfValueTypeId]
    : req.mapPart === 'all' ? []
    : [info.btfKeyTypeId, info.btfValueTypeId];
  return { btf: loadKernelBtfById(info.btfId, ctx), rootIds };
}

/**
 * `bpf-ts btf dump { file FILE | id ID | prog PROG | map MAP } [format { raw | c }] [root_id ID]`:
 * bpftool's `do_dump`. Raw output (and its `-j` JSON) matches bpftool byte for byte; `format c`
 * delegates to `dumpBtfAsC`.
 */
export async function btfDump(args: readonly string[], ctx: CliContext): Promise<number> {
  const req = parseArgs(args);
  const loaded: Loaded = req.source === 'file' ? { btf: loadFile(req.target, baseFor(req.target)), rootIds: [] } : loadKernelObjectBtf(req, ctx);
  if (loaded.rootIds.length > 0 && req.rootIds.length > 0) throw new CliError('cannot use root_id with other type filtering');
  const btf = loaded.btf;
  const rootIds = loaded.rootIds.length > 0 ? loaded.rootIds : req.rootIds;
  for (const id of rootIds) {
    if (id >= btf.typeCount) throw new CliError(`invalid root ID: ${id}`);
  }
  const format = req.format ?? 'raw';
  if (format === 'c') {
    if (ctx.json) throw new CliError('JSON output for C-syntax dump is not supported');
    const dump = await cDumper();
    ctx.out(dump(btf, rootIds.length > 0 ? { rootIds } : {}));
    return 0;
  }
  const options = rootIds.length > 0 ? { ids: rootIds, pretty: ctx.pretty } : { pretty: ctx.pretty };
  for (const chunk of ctx.json ? dumpBtfRawJsonChunks(btf, options) : dumpBtfRawChunks(btf, options)) ctx.out(chunk);
  return 0;
}
