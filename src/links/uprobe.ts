import { NotSupportedError } from '../sys/errors.js';
import { AttachType } from '../sys/uapi.js';
import { LinkError, SymbolResolveError } from './errors.js';
import { globRegExp } from './glob.js';
import { attachLegacyProbe } from './legacy-probe.js';
import { attachFailure, errnoCode, linkCreate, LinkCreateLayout } from './link-create.js';
import { kernelKnowsAttachType } from './kernel-attach-types.js';
import { Link } from './link.js';
import { attachToPerfEvent, perfEventOpen, type PerfEventAttachOptions } from './perf-event-open.js';
import { programLabel, type AttachableProgram } from './program.js';
import { probePmu } from './tracefs.js';
import { tracefsRoot } from '../sys/tracefs.js';
import { loadUserElf, resolveBinaryPath, symbolFileOffset } from './uprobe-target.js';

/** `PERF_UPROBE_REF_CTR_OFFSET_SHIFT`: the semaphore offset goes in `config[63:32]`. */
const REF_CTR_SHIFT = 32n;
/** `BPF_F_UPROBE_MULTI_RETURN`. */
const UPROBE_MULTI_RETURN = 1;

/** Options of {@link attachUprobe}. */
export interface UprobeOptions extends PerfEventAttachOptions {
  /** Executable or library: a path, a library name (`libc.so.6`) or a command in `$PATH`. */
  readonly binary: string;
  /** Function to probe (resolved through `.symtab`/`.dynsym`); without it `offset` is a file offset. */
  readonly symbol?: string;
  /** Bytes past the symbol, or the file offset when there is no symbol. */
  readonly offset?: bigint | number;
  /** Only this process (default: every process running the binary). */
  readonly pid?: number;
  /** Attach at function return (uretprobe). */
  readonly retprobe?: boolean;
  /** File offset of a USDT semaphore the kernel increments while attached (Linux 4.20+). */
  readonly refCtrOffset?: bigint;
  /**
   * Define the probe through tracefs `uprobe_events` even when the uprobe PMU exists (what
   * kernels before 4.17 require; the probe is removed again on `close()`).
   */
  readonly legacy?: boolean;
}

/** Where a uprobe lands, after resolution. */
export interface ResolvedUprobe {
  /** The binary's full path. */
  readonly path: string;
  /** File offset of the probed instruction. */
  readonly offset: bigint;
}

/**
 * Resolves a uprobe's binary and function to a path and file offset (no kernel involved).
 *
 * @example
 * ```ts
 * resolveUprobe({ binary: 'bash', symbol: 'readline' }); // { path: '/usr/bin/bash', offset: 0xd5690n }
 * ```
 */
export function resolveUprobe(options: Pick<UprobeOptions, 'binary' | 'symbol' | 'offset' | 'pid'>): ResolvedUprobe {
  const path = resolveBinaryPath(options.binary, options.pid);
  const extra = BigInt(options.offset ?? 0);
  if (options.symbol === undefined) return { path, offset: extra };
  return { path, offset: symbolFileOffset(loadUserElf(path), options.symbol) + extra };
}

/**
 * Attaches a `BPF_PROG_TYPE_KPROBE` program to a user-space function (uprobe) or its return
 * (uretprobe): the uprobe PMU (Linux 4.17+) with the binary path and file offset, else a legacy
 * probe in tracefs `uprobe_events`; then a perf_event `bpf_link` (5.15+) or the ioctl. With
 * `pid`, only that process triggers it. SEC names: `uprobe/<path>:<func>[+<off>]`, `uretprobe/...`.
 *
 * @example
 * ```ts
 * using link = attachUprobe(obj.program('on_readline')!, { binary: 'bash', symbol: 'readline' });
 * ```
 */
export function attachUprobe(program: AttachableProgram, options: UprobeOptions): Link {
  const kind = options.retprobe === true ? 'uretprobe' : 'uprobe';
  const where = options.symbol === undefined ? `0x${BigInt(options.offset ?? 0).toString(16)}` : options.symbol;
  let resolved: ResolvedUprobe;
  try {
    resolved = resolveUprobe(options);
  } catch (e) {
    if (e instanceof SymbolResolveError) throw new LinkError(`cannot place ${kind}: ${e.message}`, { program: programLabel(program), target: `${kind} ${options.binary}:${where}` }, { cause: e });
    throw e;
  }
  const target = `${resolved.path}:${where}${options.pid !== undefined ? ` pid ${options.pid}` : ''}`;
  const pid = options.pid ?? -1;
  const pmu = options.legacy === true ? undefined : probePmu('uprobe');
  if (pmu === undefined) {
    let legacyReason: string | undefined;
    try {
      tracefsRoot();
    } catch (e) {
      legacyReason = (e as Error).message;
    }
    if (legacyReason !== undefined) {
      const pmuState = options.legacy === true ? 'legacy uprobe requested' : 'uprobe PMU not available (/sys/bus/event_source/devices/uprobe missing)';
      throw new NotSupportedError('uprobe PMU', `program '${programLabel(program)}' -> ${kind} ${target}: ${pmuState} and ${legacyReason}`);
    }
    if (options.refCtrOffset !== undefined) throw new NotSupportedError('uprobe ref_ctr_offset', `${kind} ${target}: semaphores need the uprobe PMU (Linux 4.20+)`);
    const def = `${options.retprobe === true ? 'r' : 'p'}:%EVENT% ${resolved.path}:0x${resolved.offset.toString(16)}`;
    return attachLegacyProbe(program, 'uprobe', kind, target, def, { ...options, pid });
  }
  let config = options.retprobe === true ? 1n << BigInt(pmu.retprobeBit) : 0n;
  if (options.refCtrOffset !== undefined) config |= options.refCtrOffset << REF_CTR_SHIFT;
  let perf;
  try {
    perf = perfEventOpen({ type: pmu.type, config, config1: new TextEncoder().encode(`${resolved.path}\0`), config2: resolved.offset }, pid, pid === -1 ? 0 : -1, `${kind} ${target}`);
  } catch (e) {
    throw attachFailure(e, program, `${kind} ${target}`);
  }
  return attachToPerfEvent(program, perf, kind, target, options);
}

/** Options of {@link attachUprobeMulti}. */
export interface UprobeMultiOptions {
  /** Executable or library (resolved as for {@link attachUprobe}). */
  readonly binary: string;
  /** Functions to probe... */
  readonly symbols?: readonly string[];
  /** ...or a glob matched against the binary's function symbols... */
  readonly pattern?: string;
  /** ...or file offsets. */
  readonly offsets?: readonly bigint[];
  readonly retprobe?: boolean;
  /** Only this process. */
  readonly pid?: number;
  /** One `bpf_get_attach_cookie()` value per probe. */
  readonly cookies?: readonly bigint[];
}

/**
 * Attaches a `BPF_TRACE_UPROBE_MULTI` program to many user functions with one `bpf_link`
 * (`BPF_LINK_CREATE`, Linux 6.6+). A kernel without uprobe_multi links is a `NotSupportedError`.
 * SEC names: `uprobe.multi/<path>:<glob>`, `uretprobe.multi/...`.
 *
 * @example
 * ```ts
 * using link = attachUprobeMulti(prog, { binary: 'libc.so.6', pattern: 'malloc*' });
 * ```
 */
export function attachUprobeMulti(program: AttachableProgram, options: UprobeMultiOptions): Link {
  const label = programLabel(program);
  const what = options.pattern ?? options.symbols?.join(',') ?? 'offsets';
  let path: string;
  let offsets: bigint[];
  try {
    path = resolveBinaryPath(options.binary, options.pid);
    if (options.offsets !== undefined) {
      offsets = [...options.offsets];
    } else {
      const elf = loadUserElf(path);
      let names = options.symbols ?? [];
      if (options.pattern !== undefined) {
        const re = globRegExp(options.pattern);
        names = [...new Set(elf.symbols.map((s) => s.name).filter((n) => re.test(n)))];
      }
      offsets = [...new Set(names.map((n) => symbolFileOffset(elf, n)))];
    }
  } catch (e) {
    if (e instanceof SymbolResolveError) throw new LinkError(`cannot place uprobe.multi: ${e.message}`, { program: label, target: `uprobe.multi ${options.binary}:${what}` }, { cause: e });
    throw e;
  }
  const target = `${path}:${what}`;
  if (offsets.length === 0) throw new LinkError('no function matches', { program: label, target: `uprobe.multi ${target}` });
  const pathBytes = new TextEncoder().encode(`${path}\0`);
  const offsetArray = BigUint64Array.from(offsets);
  const cookies = options.cookies === undefined ? undefined : BigUint64Array.from(options.cookies);
  const L = LinkCreateLayout;
  let fd;
  try {
    fd = linkCreate({
      program,
      target: 0,
      attachType: AttachType.TRACE_UPROBE_MULTI,
      description: `uprobe.multi ${target}`,
      extra: (w) => {
        w.pointer(L.uprobeMultiPath, pathBytes).pointer(L.uprobeMultiOffsets, offsetArray).u32(L.uprobeMultiCnt, offsets.length);
        w.u32(L.uprobeMultiFlags, options.retprobe === true ? UPROBE_MULTI_RETURN : 0).u32(L.uprobeMultiPid, options.pid ?? 0);
        if (cookies !== undefined) w.pointer(L.uprobeMultiCookies, cookies);
      },
    });
  } catch (e) {
    const code = errnoCode(e);
    // Before 6.6 the kernel's enum bpf_attach_type ends earlier and the answer is EINVAL.
    if (code === 'EOPNOTSUPP' || code === 'ENOTSUPP' || (code === 'EINVAL' && !kernelKnowsAttachType(AttachType.TRACE_UPROBE_MULTI))) {
      throw new NotSupportedError('uprobe.multi', `program '${label}' -> uprobe.multi ${target}: the kernel refused a uprobe_multi link (${code}): it needs Linux 6.6+ with CONFIG_UPROBES`, { cause: e });
    }
    throw e;
  }
  return new Link({ kind: 'uprobe_multi', program: label, target, linkFd: fd });
}
