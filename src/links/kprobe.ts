import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotSupportedError } from '../sys/errors.js';
import { native } from '../sys/native.js';
import { AttachType } from '../sys/uapi.js';
import { LinkError } from './errors.js';
import { attachFailure, errnoCode, linkCreate, LinkCreateLayout } from './link-create.js';
import { Link } from './link.js';
import { attachToPerfEvent, perfEventOpen, type PerfEventAttachOptions } from './perf-event-open.js';
import { programLabel, type AttachableProgram } from './program.js';
import { globRegExp } from './glob.js';
import { attachLegacyProbe } from './legacy-probe.js';
import { probePmu } from './tracefs.js';
import { tracefsRoot } from '../sys/tracefs.js';

/** `BPF_F_KPROBE_MULTI_RETURN`. */
const KPROBE_MULTI_RETURN = 1;

/** Options of {@link attachKprobe}. */
export interface KprobeOptions extends PerfEventAttachOptions {
  /** Attach at function return (kretprobe). */
  readonly retprobe?: boolean;
  /** Byte offset into the function (kprobe only). */
  readonly offset?: number;
  /**
   * Define the probe through tracefs `kprobe_events` even where the kprobe PMU exists (libbpf's
   * `PROBE_ATTACH_MODE_LEGACY`): the probe is then listed there, as `perf probe` and bcc's tools
   * list theirs, until the link closes.
   */
  readonly legacy?: boolean;
}

/**
 * Why kprobes cannot work here, or `undefined` when they can: the kprobe PMU (Linux 4.17+) or,
 * before it, `kprobe_events` in tracefs (`CONFIG_KPROBE_EVENTS`).
 *
 * @example
 * ```ts
 * const why = kprobeUnavailableReason();
 * if (why !== undefined) console.warn(`kprobes unavailable: ${why}`);
 * ```
 */
export function kprobeUnavailableReason(): string | undefined {
  if (probePmu('kprobe') !== undefined) return undefined;
  let root: string;
  try {
    root = tracefsRoot();
  } catch (e) {
    return `kprobe PMU not available (/sys/bus/event_source/devices/kprobe missing) and tracefs for the legacy kprobe_events interface is not available: ${(e as Error).message}`;
  }
  if (existsSync(join(root, 'kprobe_events'))) return undefined;
  return `kprobe PMU not available (/sys/bus/event_source/devices/kprobe missing) and no kprobe_events in tracefs (${join(root, 'kprobe_events')} missing): the kernel lacks CONFIG_KPROBES/CONFIG_KPROBE_EVENTS`;
}

/** Why the tracefs `kprobe_events` interface cannot be used, or `undefined` when it can. */
function legacyKprobeUnavailableReason(): string | undefined {
  let root: string;
  try {
    root = tracefsRoot();
  } catch (e) {
    return `tracefs for the legacy kprobe_events interface is not available: ${(e as Error).message}`;
  }
  return existsSync(join(root, 'kprobe_events')) ? undefined : `no kprobe_events in tracefs (${join(root, 'kprobe_events')} missing): the kernel lacks CONFIG_KPROBE_EVENTS`;
}

/**
 * Attaches a `BPF_PROG_TYPE_KPROBE` program to a kernel function entry (kprobe) or return
 * (kretprobe): a perf event of the kprobe PMU (Linux 4.17+), else a legacy probe written to
 * tracefs `kprobe_events` (removed again on `close()`; `options.legacy` forces this path); then
 * a perf_event `bpf_link`. Kernels with neither throw `NotSupportedError`. SEC names: `kprobe/<func>[+<offset>]`, `kretprobe/<func>`.
 *
 * @example
 * ```ts
 * using link = attachKprobe(obj.program('on_nanosleep')!, 'do_nanosleep');
 * ```
 */
export function attachKprobe(program: AttachableProgram, func: string, options: KprobeOptions = {}): Link {
  const kind = options.retprobe === true ? 'kretprobe' : 'kprobe';
  const offset = options.offset ?? 0;
  const target = offset === 0 ? func : `${func}+0x${offset.toString(16)}`;
  const pmu = options.legacy === true ? undefined : probePmu('kprobe');
  if (pmu !== undefined) {
    let perf;
    try {
      perf = perfEventOpen(
        {
          type: pmu.type,
          config: options.retprobe === true ? 1n << BigInt(pmu.retprobeBit) : 0n,
          config1: new TextEncoder().encode(`${func}\0`),
          config2: offset,
        },
        -1,
        0,
        `${kind} ${target}`,
      );
    } catch (e) {
      throw attachFailure(e, program, `${kind} ${target}`);
    }
    return attachToPerfEvent(program, perf, kind, target, options);
  }
  const reason = options.legacy === true ? legacyKprobeUnavailableReason() : kprobeUnavailableReason();
  if (reason !== undefined) throw new NotSupportedError(options.legacy === true ? 'kprobe_events' : 'kprobe PMU', `program '${programLabel(program)}' -> ${kind} ${target}: ${reason}`);
  return attachLegacyProbe(program, 'kprobe', kind, target, `${options.retprobe === true ? 'r' : 'p'}:%EVENT% ${target}`, options);
}

/**
 * The kernel's syscall entry prefix for this architecture (`__x64_sys_`), as libbpf picks it.
 *
 * @example
 * ```ts
 * syscallPrefix() + 'getppid'; // '__x64_sys_getppid' on x86-64
 * ```
 */
export function syscallPrefix(): string {
  switch (process.arch) {
    case 'x64':
      return '__x64_sys_';
    case 'arm64':
      return '__arm64_sys_';
    case 's390x':
      return '__s390x_sys_';
    case 'riscv64':
      return '__riscv_sys_';
    default:
      return '__se_sys_';
  }
}

/**
 * Attaches a kprobe to a syscall's kernel entry by its name (`ksyscall/getppid` ->
 * `__x64_sys_getppid`), as libbpf's `bpf_program__attach_ksyscall()`.
 *
 * @example
 * ```ts
 * using link = attachKsyscall(obj.program('on_kill')!, 'kill');
 * ```
 */
export function attachKsyscall(program: AttachableProgram, syscall: string, options: KprobeOptions = {}): Link {
  return attachKprobe(program, `${syscallPrefix()}${syscall}`, options);
}

/** Options of {@link attachKprobeMulti}. */
export interface KprobeMultiOptions {
  /** Kernel function names... */
  readonly symbols?: readonly string[];
  /** ...or a glob (`tcp_*`) matched against `/proc/kallsyms` text symbols. */
  readonly pattern?: string;
  readonly retprobe?: boolean;
  /** One `bpf_get_attach_cookie()` value per symbol. */
  readonly cookies?: readonly bigint[];
}

/**
 * Attaches a `BPF_TRACE_KPROBE_MULTI` program to many kernel functions at once through fprobe
 * (`BPF_LINK_CREATE`, Linux 5.18+ with `CONFIG_FPROBE`). A kernel without it is a
 * `NotSupportedError`. SEC names: `kprobe.multi/<glob>`, `kretprobe.multi/<glob>`.
 *
 * @example
 * ```ts
 * using link = attachKprobeMulti(prog, { pattern: 'tcp_v4_*' });
 * ```
 */
export function attachKprobeMulti(program: AttachableProgram, options: KprobeMultiOptions): Link {
  const label = programLabel(program);
  const symbols = options.symbols ?? (options.pattern !== undefined ? kallsymsMatching(options.pattern) : []);
  const target = options.pattern ?? symbols.join(',');
  if (symbols.length === 0) throw new LinkError('no kernel function matches', { program: label, target: `kprobe.multi ${target}` });
  const strings = symbols.map((s) => new TextEncoder().encode(`${s}\0`));
  // An array of `const char *`; `strings` keeps the names alive across the syscall.
  const pointers = BigUint64Array.from(strings, (s) => native().address(s));
  const cookies = options.cookies === undefined ? undefined : BigUint64Array.from(options.cookies);
  const L = LinkCreateLayout;
  let fd;
  try {
    fd = linkCreate({
      program,
      target: 0,
      attachType: AttachType.TRACE_KPROBE_MULTI,
      description: `kprobe.multi ${target}`,
      keepAlive: strings,
      extra: (w) => {
        w.u32(L.kprobeMultiFlags, options.retprobe === true ? KPROBE_MULTI_RETURN : 0).u32(L.kprobeMultiCnt, symbols.length).pointer(L.kprobeMultiSyms, pointers);
        if (cookies !== undefined) w.pointer(L.kprobeMultiCookies, cookies);
      },
    });
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'EOPNOTSUPP' || code === 'ENOTSUPP' || code === 'EINVAL' || code === 'ENOSYS') {
      throw new NotSupportedError('kprobe.multi', `program '${label}' -> kprobe.multi ${target}: the kernel refused a kprobe_multi link (${code}): it needs Linux 5.18+ with CONFIG_FPROBE`, { cause: e });
    }
    throw e;
  }
  return new Link({ kind: 'kprobe_multi', program: label, target, linkFd: fd });
}

/**
 * Text symbols of `/proc/kallsyms` matching a glob (`*` and `?`).
 *
 * @example
 * ```ts
 * kallsymsMatching('do_nanosleep*'); // ['do_nanosleep', ...]
 * ```
 */
export function kallsymsMatching(pattern: string): string[] {
  const re = globRegExp(pattern);
  const out = new Set<string>();
  for (const line of readFileSync('/proc/kallsyms', 'utf8').split('\n')) {
    const [, type, name, module] = line.split(/\s+/);
    if (name === undefined || module !== undefined || (type !== 't' && type !== 'T')) continue;
    if (re.test(name)) out.add(name);
  }
  return [...out];
}
