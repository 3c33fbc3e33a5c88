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

/** Options of {@link attachUsdt}. */
export interface UsdtOptions extends PerfEventAttachOptions {
  /** The binary or library with the probe (resolved as for uprobes). */
  readonly binary: string;
  readonly provider: string;
  readonly name: string;
  /** Only this process. */
  readonly pid?: number;
}

/**
 * Attaches a program to a USDT probe: a uprobe at every site of `provider:name` in the binary,
 * with the probe's semaphore as the uprobe's `ref_ctr_offset` (Linux 4.20+), so the kernel keeps
 * it non-zero while attached and semaphore-guarded probes fire. SEC name: `usdt/<binary>:<provider>:<name>`.
 *
 * Limitation: libbpf's `bpf_usdt_arg()`/`bpf_usdt_cookie()` read per-site argument specs from
 * the `__bpf_usdt_specs` maps of `usdt.bpf.h`; bpf-ts does not fill those yet, so programs can
 * count and read registers themselves but not use those helpers.
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
      links.push(
        attachUprobe(program, {
          binary: path,
          offset: site.fileOffset,
          ...(site.semaphoreOffset === 0n ? {} : { refCtrOffset: site.semaphoreOffset }),
          ...(options.pid === undefined ? {} : { pid: options.pid }),
          ...(options.cookie === undefined ? {} : { cookie: options.cookie }),
        }),
      );
    }
  } catch (e) {
    for (const l of links) l.close();
    throw e;
  }
  return new LinkGroup(links, 'usdt');
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
