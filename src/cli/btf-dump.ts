import { readFileSync } from 'node:fs';
import { Btf, BtfError, dumpBtfRaw, dumpBtfRawJson, parseBtf, type BtfTypeTable } from '../btf/index.js';
import { ElfError, parseElf } from '../elf/index.js';
import { CliError, type CliContext } from './context.js';
import { isKeyword } from './grammar.js';

const SYSFS_BTF = '/sys/kernel/btf/';
const SYSFS_VMLINUX = '/sys/kernel/btf/vmlinux';
const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;

type DumpFormat = 'raw' | 'c';

interface DumpRequest {
  readonly source: 'file' | 'id' | 'prog' | 'map';
  readonly target: string;
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
  const [src, target, ...rest] = args;
  if (src === undefined || target === undefined) throw new CliError('expected BTF_SRC (id | prog | map | file) and its argument');
  let source: DumpRequest['source'];
  if (isKeyword(src, 'file')) source = 'file';
  else if (isKeyword(src, 'id')) source = 'id';
  else if (isKeyword(src, 'prog')) source = 'prog';
  else if (isKeyword(src, 'map')) source = 'map';
  else throw new CliError(`unrecognized BTF source specifier: '${src}'`);
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
  return { source, target, format, rootIds };
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

async function loadKernelObjectBtf(req: DumpRequest): Promise<Btf> {
  throw new CliError(`btf dump ${req.source} is not supported yet`);
}

/**
 * `bpf-ts btf dump { file FILE | id ID | prog PROG | map MAP } [format { raw | c }] [root_id ID]`:
 * bpftool's `do_dump`. Raw output (and its `-j` JSON) matches bpftool byte for byte; `format c`
 * delegates to `dumpBtfAsC`.
 */
export async function btfDump(args: readonly string[], ctx: CliContext): Promise<number> {
  const req = parseArgs(args);
  const btf = req.source === 'file' ? loadFile(req.target, baseFor(req.target)) : await loadKernelObjectBtf(req);
  for (const id of req.rootIds) {
    if (id >= btf.typeCount) throw new CliError(`invalid root ID: ${id}`);
  }
  const format = req.format ?? 'raw';
  if (format === 'c') {
    if (ctx.json) throw new CliError('JSON output for C-syntax dump is not supported');
    const dump = await cDumper();
    ctx.out(dump(btf, req.rootIds.length > 0 ? { rootIds: req.rootIds } : {}));
    return 0;
  }
  const options = req.rootIds.length > 0 ? { ids: req.rootIds, pretty: ctx.pretty } : { pretty: ctx.pretty };
  ctx.out(ctx.json ? dumpBtfRawJson(btf, options) : dumpBtfRaw(btf, options));
  return 0;
}
