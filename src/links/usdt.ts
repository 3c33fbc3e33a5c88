import { AttrWriter } from '../sys/attr.js';
import { BpfCmd, bpfCmdName } from '../sys/bpf.js';
import { toSysError } from '../sys/errors.js';
import { native } from '../sys/native.js';
import { LinkError, SymbolResolveError } from './errors.js';
import { LinkGroup, type Link } from './link.js';
import type { PerfEventAttachOptions } from './perf-event-open.js';
import { programLabel, type AttachableProgram } from './program.js';
import { attachUprobe } from './uprobe.js';
import { loadUserElf, resolveBinaryPath } from './uprobe-target.js';
import { addressToFileOffset, type UserElf } from './user-elf.js';

/** `NT_STAPSDT`: the note type of a USDT probe descriptor. */
const NT_STAPSDT = 3;

/** One USDT probe site from `.note.stapsdt` (SystemTap SDT v3 notes). */
export interface UsdtNote {
  readonly provider: string;
  readonly name: string;
  /** Link-time address of the probe's `nop`, adjusted for prelinking via `.stapsdt.base`. */
  readonly address: bigint;
  /** File offset of that instruction (where the uprobe goes). */
  readonly fileOffset: bigint;
  /** Address of the semaphore (`unsigned short` the tracer increments), 0 when none. */
  readonly semaphore: bigint;
  /** File offset of the semaphore (the uprobe's `ref_ctr_offset`), 0 when none. */
  readonly semaphoreOffset: bigint;
  /** The argument spec string, e.g. `-4@%edi 8@-8(%rbp)`. */
  readonly args: string;
}

/**
 * The USDT probes of a binary: each `.note.stapsdt` note's provider, name, location and
 * semaphore with their file offsets, as libbpf's `collect_usdt_targets()` reads them.
 *
 * @example
 * ```ts
 * for (const n of readUsdtNotes('/usr/lib/x86_64-linux-gnu/libc.so.6')) console.log(`${n.provider}:${n.name}`);
 * ```
 */
export function readUsdtNotes(elf: UserElf): UsdtNote[] {
  const notes = elf.section('.note.stapsdt');
  if (notes === undefined) return [];
  const base = elf.section('.stapsdt.base');
  const data = notes.data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const decoder = new TextDecoder();
  const align4 = (n: number): number => (n + 3) & ~3;
  const out: UsdtNote[] = [];
  let at = 0;
  while (at + 12 <= data.byteLength) {
    const namesz = view.getUint32(at, true);
    const descsz = view.getUint32(at + 4, true);
    const type = view.getUint32(at + 8, true);
    const nameAt = at + 12;
    const descAt = nameAt + align4(namesz);
    const next = descAt + align4(descsz);
    if (next > data.byteLength) throw new SymbolResolveError(`.note.stapsdt note at 0x${at.toString(16)} runs past the section`, elf.path);
    const owner = decoder.decode(data.subarray(nameAt, nameAt + Math.max(0, namesz - 1)));
    if (type === NT_STAPSDT && owner === 'stapsdt' && descsz >= 24) {
      let address = view.getBigUint64(descAt, true);
      const noteBase = view.getBigUint64(descAt + 8, true);
      const semaphore = view.getBigUint64(descAt + 16, true);
      // A prelinked binary moved its sections: .stapsdt.base tells by how much.
      if (base !== undefined && noteBase !== 0n) address += base.addr - noteBase;
      const strings = data.subarray(descAt + 24, descAt + descsz);
      const parts: string[] = [];
      let s = 0;
      for (let i = 0; i < 3; i++) {
        const end = strings.indexOf(0, s);
        parts.push(decoder.decode(strings.subarray(s, end < 0 ? strings.length : end)));
        s = end < 0 ? strings.length : end + 1;
      }
      out.push({
        provider: parts[0] ?? '',
        name: parts[1] ?? '',
        address,
        fileOffset: addressToFileOffset(elf, address),
        semaphore,
        semaphoreOffset: semaphore === 0n ? 0n : addressToFileOffset(elf, semaphore),
        args: parts[2] ?? '',
      });
    }
    at = next;
  }
  return out;
}

/** How one USDT argument is fetched (libbpf's `struct __bpf_usdt_arg_spec`). */
export interface UsdtArgSpec {
  /** `BPF_USDT_ARG_CONST` 0, `BPF_USDT_ARG_REG` 1, `BPF_USDT_ARG_REG_DEREF` 2. */
  readonly type: 0 | 1 | 2;
  /** The constant, or the displacement of a memory operand. */
  readonly valOff: bigint;
  /** Byte offset of the register in `struct pt_regs` (0 for constants). */
  readonly regOff: number;
  readonly signed: boolean;
  /** `64 - size * 8`: bits to shift out to narrow the 8-byte read. */
  readonly bitshift: number;
}

/** x86-64 `struct pt_regs` offsets of every register name an SDT argument may use. */
const X86_64_PT_REGS: ReadonlyMap<string, number> = new Map(
  (
    [
      [['r15', 'r15d', 'r15w', 'r15b'], 0], [['r14', 'r14d', 'r14w', 'r14b'], 8], [['r13', 'r13d', 'r13w', 'r13b'], 16],
      [['r12', 'r12d', 'r12w', 'r12b'], 24], [['rbp', 'ebp', 'bp', 'bpl'], 32], [['rbx', 'ebx', 'bx', 'bl', 'bh'], 40],
      [['r11', 'r11d', 'r11w', 'r11b'], 48], [['r10', 'r10d', 'r10w', 'r10b'], 56], [['r9', 'r9d', 'r9w', 'r9b'], 64],
      [['r8', 'r8d', 'r8w', 'r8b'], 72], [['rax', 'eax', 'ax', 'al', 'ah'], 80], [['rcx', 'ecx', 'cx', 'cl', 'ch'], 88],
      [['rdx', 'edx', 'dx', 'dl', 'dh'], 96], [['rsi', 'esi', 'si', 'sil'], 104], [['rdi', 'edi', 'di', 'dil'], 112],
      [['rip', 'eip'], 128], [['rsp', 'esp', 'sp', 'spl'], 152],
    ] as Array<[string[], number]>
  ).flatMap(([names, off]) => names.map((n): [string, number] => [n, off])),
);

/**
 * Parses an x86-64 SDT argument string (`-4@%edi 8@-8(%rbp) 4@$5`) into fetch specs, as libbpf's
 * `parse_usdt_arg()`: `$imm` constants, `%reg` registers, `off(%reg)` memory operands.
 *
 * @example
 * ```ts
 * parseUsdtArgs('-4@%edi 8@-8(%rbp)'); // [{ type: 1, regOff: 112, signed: true, bitshift: 32, ... }, { type: 2, valOff: -8n ... }]
 * ```
 */
export function parseUsdtArgs(args: string, path = '(USDT note)'): UsdtArgSpec[] {
  const out: UsdtArgSpec[] = [];
  for (const arg of args.trim().split(/\s+/).filter((a) => a !== '')) {
    const m = /^(-?)(1|2|4|8)@(.+)$/.exec(arg);
    if (m === null) throw new SymbolResolveError(`USDT argument '${arg}' has no size (expected N@location)`, path);
    const signed = m[1] === '-';
    const bitshift = 64 - Number(m[2]) * 8;
    const loc = m[3] as string;
    const reg = (name: string): number => {
      const off = X86_64_PT_REGS.get(name);
      if (off === undefined) throw new SymbolResolveError(`USDT argument '${arg}': unknown register %${name}`, path);
      return off;
    };
    let r: RegExpExecArray | null;
    if ((r = /^\$(-?(?:0x[0-9a-fA-F]+|\d+))$/.exec(loc)) !== null) {
      out.push({ type: 0, valOff: BigInt.asUintN(64, BigInt(r[1] as string)), regOff: 0, signed, bitshift });
    } else if ((r = /^%([a-z0-9]+)$/.exec(loc)) !== null) {
      out.push({ type: 1, valOff: 0n, regOff: reg(r[1] as string), signed, bitshift });
    } else if ((r = /^(-?(?:0x[0-9a-fA-F]+|\d+))?\(%([a-z0-9]+)\)$/.exec(loc)) !== null) {
      out.push({ type: 2, valOff: BigInt.asUintN(64, BigInt(r[1] ?? '0')), regOff: reg(r[2] as string), signed, bitshift });
    } else {
      throw new SymbolResolveError(`USDT argument '${arg}': unsupported location '${loc}'`, path);
    }
  }
  if (out.length > USDT_MAX_ARGS) throw new SymbolResolveError(`USDT probe has ${out.length} arguments, more than ${USDT_MAX_ARGS}`, path);
  return out;
}

/** `BPF_USDT_MAX_ARG_CNT`. */
const USDT_MAX_ARGS = 12;
/** `sizeof(struct __bpf_usdt_spec)`: 12 arg specs of 16 bytes, the cookie, the count (padded). */
export const USDT_SPEC_SIZE = 208;

/**
 * Encodes libbpf's `struct __bpf_usdt_spec` for the `__bpf_usdt_specs` map.
 *
 * @example
 * ```ts
 * specsMap.update(key, encodeUsdtSpec(parseUsdtArgs('-4@%edi'), 0n));
 * ```
 */
export function encodeUsdtSpec(args: readonly UsdtArgSpec[], cookie: bigint): Uint8Array {
  const b = new Uint8Array(USDT_SPEC_SIZE);
  const v = new DataView(b.buffer);
  args.forEach((a, i) => {
    const at = i * 16;
    v.setBigUint64(at, a.valOff, true);
    v.setUint32(at + 8, a.type, true);
    v.setInt16(at + 12, a.regOff, true);
    v.setUint8(at + 14, a.signed ? 1 : 0);
    v.setInt8(at + 15, a.bitshift);
  });
  v.setBigUint64(192, cookie, true);
  v.setInt16(200, args.length, true);
  return b;
}

/** Spec ids handed out per specs map (by map id), so links of one object do not collide. */
const nextSpecId = new Map<number, number>();

/** Options of {@link attachUsdt}. */
export interface UsdtOptions extends PerfEventAttachOptions {
  /** The binary or library with the probe (resolved as for uprobes). */
  readonly binary: string;
  readonly provider: string;
  readonly name: string;
  /** Only this process. */
  readonly pid?: number;
  /**
   * The program's `__bpf_usdt_specs` map (fd and id), for `bpf_usdt_arg()`/`bpf_usdt_cookie()`:
   * each site's argument spec is written there and its index becomes the uprobe's BPF cookie
   * (Linux 5.15+).
   */
  readonly specsMap?: { readonly fd: number; readonly id: number; readonly maxEntries: number };
  /** The value `bpf_usdt_cookie()` returns. */
  readonly usdtCookie?: bigint;
}

/**
 * Attaches a program to a USDT probe: a uprobe at every site of `provider:name` in the binary,
 * with the probe's semaphore as the uprobe's `ref_ctr_offset` (Linux 4.20+), so the kernel keeps
 * it non-zero while attached and semaphore-guarded probes fire. SEC name: `usdt/<binary>:<provider>:<name>`.
 *
 * With `specsMap` (the object's `__bpf_usdt_specs` from libbpf's `usdt.bpf.h`), each site's
 * argument spec is stored there and its index passed as the BPF cookie, which is how
 * `bpf_usdt_arg()` and `bpf_usdt_cookie()` find it (x86-64 argument syntax; kernels with BPF
 * cookies only, i.e. the `__bpf_usdt_ip_to_spec_id` fallback is not filled). Spec slots are
 * handed out in order per map and not reused when links close.
 *
 * @example
 * ```ts
 * using probes = attachUsdt(obj.program('on_tick')!, { binary: './server', provider: 'app', name: 'tick' });
 * ```
 */
export function attachUsdt(program: AttachableProgram, options: UsdtOptions): LinkGroup {
  const label = programLabel(program);
  const what = `usdt ${options.binary}:${options.provider}:${options.name}`;
  let path: string;
  let sites: UsdtNote[];
  try {
    path = resolveBinaryPath(options.binary, options.pid);
    sites = readUsdtNotes(loadUserElf(path)).filter((n) => n.provider === options.provider && n.name === options.name);
  } catch (e) {
    if (e instanceof SymbolResolveError) throw new LinkError(`cannot place USDT probe: ${e.message}`, { program: label, target: what }, { cause: e });
    throw e;
  }
  if (sites.length === 0) throw new LinkError(`no USDT probe ${options.provider}:${options.name} in ${path}`, { program: label, target: what });
  const links: Link[] = [];
  try {
    for (const site of sites) {
      let cookie = options.cookie;
      if (options.specsMap !== undefined) {
        cookie = BigInt(writeUsdtSpec(options.specsMap, site, path, options.usdtCookie ?? 0n, label, what));
      }
      links.push(
        attachUprobe(program, {
          binary: path,
          offset: site.fileOffset,
          ...(site.semaphoreOffset === 0n ? {} : { refCtrOffset: site.semaphoreOffset }),
          ...(options.pid === undefined ? {} : { pid: options.pid }),
          ...(cookie === undefined ? {} : { cookie }),
        }),
      );
    }
  } catch (e) {
    for (const l of links) l.close();
    throw e;
  }
  return new LinkGroup(links, 'usdt');
}

/** Writes one site's spec into the specs map; returns its index (the uprobe's BPF cookie). */
function writeUsdtSpec(map: NonNullable<UsdtOptions['specsMap']>, site: UsdtNote, path: string, usdtCookie: bigint, program: string, what: string): number {
  let args: UsdtArgSpec[];
  try {
    args = parseUsdtArgs(site.args, path);
  } catch (e) {
    throw new LinkError(`cannot place USDT probe: ${(e as Error).message}`, { program, target: what }, { cause: e });
  }
  const id = nextSpecId.get(map.id) ?? 0;
  if (id >= map.maxEntries) throw new LinkError(`__bpf_usdt_specs is full (${map.maxEntries} specs)`, { program, target: what });
  nextSpecId.set(map.id, id + 1);
  const key = new Uint8Array(4);
  new DataView(key.buffer).setInt32(0, id, true);
  const value = encodeUsdtSpec(args, usdtCookie);
  // union bpf_attr for BPF_MAP_UPDATE_ELEM: map_fd, key, value, flags.
  const w = new AttrWriter(32).u32(0, map.fd).pointer(8, key).pointer(16, value);
  try {
    native().bpf(BpfCmd.MAP_UPDATE_ELEM, w.bytes, w, key, value);
  } catch (e) {
    const cmd = bpfCmdName(BpfCmd.MAP_UPDATE_ELEM);
    throw new LinkError(`writing the USDT spec failed: ${toSysError(e, 'bpf', cmd, cmd).message}`, { program, target: what }, { cause: e });
  }
  return id;
}

/**
 * Splits a `usdt/<binary>:<provider>:<name>` SEC() target.
 *
 * @example
 * ```ts
 * parseUsdtTarget('/usr/bin/app:myprov:tick'); // { binary: '/usr/bin/app', provider: 'myprov', name: 'tick' }
 * ```
 */
export function parseUsdtTarget(target: string): { binary: string; provider: string; name: string } | undefined {
  const last = target.lastIndexOf(':');
  const mid = last > 0 ? target.lastIndexOf(':', last - 1) : -1;
  if (mid <= 0 || last === target.length - 1 || last - mid < 2) return undefined;
  return { binary: target.slice(0, mid), provider: target.slice(mid + 1, last), name: target.slice(last + 1) };
}
