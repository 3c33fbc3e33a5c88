import { AttachType, ProgType } from '../sys/uapi.js';
import { attachCgroup } from './cgroup.js';
import { LinkError } from './errors.js';
import { attachIter, type IterLink, type IterOptions } from './iter.js';
import { attachKprobe, attachKprobeMulti, attachKsyscall } from './kprobe.js';
import type { Link, LinkGroup } from './link.js';
import type { NetDevice } from './netdev.js';
import { attachNetfilter, type NetfilterOptions } from './netfilter.js';
import { attachNetns } from './netns.js';
import { attachPerfEvent, type PerfEventOptions } from './perf-event.js';
import { programLabel, type AttachableProgram } from './program.js';
import { attachRawTracepoint } from './raw-tracepoint.js';
import { attachSocketFilter } from './socket-filter.js';
import { attachSockmap } from './sockmap.js';
import { attachTcx } from './tcx.js';
import { attachTracepoint, parseTracepointTarget } from './tracepoint.js';
import { attachTracing } from './tracing.js';
import { attachUprobe, attachUprobeMulti } from './uprobe.js';
import { attachUsdt, parseUsdtTarget } from './usdt.js';
import { attachXdp } from './xdp.js';
import { parseUprobeTarget } from './uprobe-target.js';

/**
 * What {@link autoAttach} needs from a program's SEC() classification: the loader's
 * `SectionMatch` (`matchSection(section)`) has this shape.
 */
export interface SectionAttachInfo {
  /** The section name without a leading `?` (`kretprobe/do_nanosleep`). */
  readonly name: string;
  /** libbpf's auto-attach family: `'tracepoint'`, `'kprobe'`, `'uprobe'`, `'trace'`, `'none'`, ... */
  readonly autoAttach: string;
  /** The text after the family and `/`. */
  readonly attachTo?: string | undefined;
}

/** What {@link autoAttach} may need from the program's object. */
export interface AutoAttachContext {
  /** The object's `__bpf_usdt_specs` map, for USDT programs using `bpf_usdt_arg()`. */
  readonly usdtSpecsMap?: { readonly fd: number; readonly id: number; readonly maxEntries: number };
}

/**
 * libbpf's `bpf_program__attach()`: attaches a program from its SEC() name alone (a
 * {@link LinkGroup} for USDT probes with several sites). Returns
 * `undefined` for families that need an explicit target (xdp, tc, cgroup, socket, ...) and for
 * SEC names without a target (`SEC("uprobe")`), as libbpf skips those in skeleton attach.
 *
 * @example
 * ```ts
 * for (const p of obj.programs.values()) {
 *   const link = autoAttach(p, matchSection(p.section));
 *   if (link) links.push(link);
 * }
 * ```
 */
export function autoAttach(program: AttachableProgram, section: SectionAttachInfo, context: AutoAttachContext = {}): Link | LinkGroup | undefined {
  const label = programLabel(program);
  const to = section.attachTo;
  const bad = (why: string): LinkError => new LinkError(`cannot auto-attach SEC("${section.name}"): ${why}`, { program: label });
  switch (section.autoAttach) {
    case 'tracepoint': {
      if (to === undefined) return undefined;
      const tp = parseTracepointTarget(to);
      if (tp === undefined) throw bad("expected 'tracepoint/<category>/<name>'");
      return attachTracepoint(program, tp.category, tp.name);
    }
    case 'raw_tracepoint':
      return to === undefined ? undefined : attachRawTracepoint(program, to);
    case 'trace':
    case 'lsm':
      return attachTracing(program, to === undefined ? {} : { targetName: to });
    case 'iter':
      return attachIter(program, to === undefined ? {} : { targetName: to });
    case 'kprobe': {
      if (to === undefined) return undefined;
      const m = /^([^+]+)(?:\+(0x[0-9a-fA-F]+|\d+))?$/.exec(to);
      if (m === null) throw bad("expected 'kprobe/<function>[+<offset>]'");
      return attachKprobe(program, m[1] as string, { retprobe: section.name.startsWith('kretprobe'), offset: m[2] === undefined ? 0 : Number(m[2]) });
    }
    case 'ksyscall':
      return to === undefined ? undefined : attachKsyscall(program, to, { retprobe: section.name.startsWith('kretsyscall') });
    case 'kprobe_multi':
      return to === undefined ? undefined : attachKprobeMulti(program, { pattern: to, retprobe: section.name.startsWith('kretprobe') });
    case 'uprobe': {
      if (to === undefined) return undefined;
      const t = parseUprobeTarget(to);
      if (t === undefined) throw bad("expected 'uprobe/<binary>:<function>[+<offset>]'");
      return attachUprobe(program, { binary: t.binary, ...(t.symbol === undefined ? {} : { symbol: t.symbol }), offset: t.offset, retprobe: section.name.startsWith('uretprobe') });
    }
    case 'uprobe_multi': {
      if (to === undefined) return undefined;
      const colon = to.lastIndexOf(':');
      if (colon <= 0) throw bad("expected 'uprobe.multi/<binary>:<pattern>'");
      return attachUprobeMulti(program, { binary: to.slice(0, colon), pattern: to.slice(colon + 1), retprobe: section.name.startsWith('uretprobe') });
    }
    case 'usdt': {
      if (to === undefined) return undefined;
      const t = parseUsdtTarget(to);
      if (t === undefined) throw bad("expected 'usdt/<binary>:<provider>:<name>'");
      return attachUsdt(program, { ...t, ...(context.usdtSpecsMap === undefined ? {} : { specsMap: context.usdtSpecsMap }) });
    }
    case 'none':
      return undefined;
    default:
      throw bad(`auto-attach family '${section.autoAttach}' is not supported by bpf-ts`);
  }
}

/** Targets for {@link attach}, one member per hook family; only the program's family is read. */
export interface AttachOptions {
  /** tracepoint: `category/name`; raw_tp: the name; kprobe/ksyscall: the function/syscall. */
  readonly target?: string;
  /** kprobe, uprobe: at return. */
  readonly retprobe?: boolean;
  /** uprobe: binary, function, offset, pid. */
  readonly uprobe?: { readonly binary: string; readonly symbol?: string; readonly offset?: bigint | number; readonly pid?: number };
  /** perf_event programs: the event to sample. */
  readonly perfEvent?: PerfEventOptions;
  /** xdp and tcx: the device (tcx direction from the program's attach type unless given). */
  readonly device?: NetDevice;
  readonly direction?: 'ingress' | 'egress';
  /** xdp: `XdpFlag` mode. */
  readonly xdpFlags?: number;
  /** cgroup programs: the cgroup v2 directory or fd. */
  readonly cgroup?: string | number;
  /** socket filters: the socket fd. */
  readonly socketFd?: number;
  /** sk_lookup / flow_dissector: the netns file or fd (default this process's). */
  readonly netns?: string | number;
  /** sk_msg / sk_skb programs: the sockmap or sockhash fd. */
  readonly sockmapFd?: number;
  /** netfilter programs. */
  readonly netfilter?: NetfilterOptions;
  /** iterators. */
  readonly iter?: IterOptions;
  /** Overrides the program's `expectedAttachType`. */
  readonly attachType?: number;
}

/**
 * Attaches a program by its type and expected attach type, taking the target from `options`
 * (or, for tracing families, from its SEC() name via `section`). The one entry point for "attach
 * this, wherever it belongs"; each family's own function offers every option.
 *
 * @example
 * ```ts
 * using a = attach(obj.program('xdp_count')!, { device: { interface: 'veth0' } });
 * using b = attach(obj.program('tp_getppid')!); // SEC("tracepoint/syscalls/sys_enter_getppid")
 * ```
 */
export function attach(program: AttachableProgram, options: AttachOptions = {}, section?: SectionAttachInfo): Link | LinkGroup | IterLink {
  const label = programLabel(program);
  const attachType = options.attachType ?? program.expectedAttachType ?? 0;
  const need = (what: string): LinkError => new LinkError(`attach needs ${what} for program type ${program.type ?? 'unknown'}`, { program: label });
  const fromSection = (): Link | LinkGroup => {
    if (section === undefined) throw need('options.target (or the SEC() info)');
    const link = autoAttach(program, section);
    if (link === undefined) throw need(`a target: SEC("${section.name}") names none`);
    return link;
  };
  switch (program.type) {
    case ProgType.TRACEPOINT: {
      if (options.target === undefined) return fromSection();
      const tp = parseTracepointTarget(options.target);
      if (tp === undefined) throw need("target 'category/name'");
      return attachTracepoint(program, tp.category, tp.name);
    }
    case ProgType.RAW_TRACEPOINT:
    case ProgType.RAW_TRACEPOINT_WRITABLE:
      return options.target === undefined ? fromSection() : attachRawTracepoint(program, options.target);
    case ProgType.TRACING:
    case ProgType.LSM:
    case ProgType.EXT:
      if (attachType === AttachType.TRACE_ITER) return attachIter(program, options.iter ?? {});
      if (attachType === AttachType.LSM_CGROUP) {
        // lsm_cgroup programs are cgroup links (Linux 6.0+), not trampolines of their own.
        if (options.cgroup === undefined) throw need('options.cgroup');
        return attachCgroup(program, { cgroup: options.cgroup, attachType });
      }
      return attachTracing(program, options.target === undefined ? {} : { targetName: options.target });
    case ProgType.KPROBE:
      if (attachType === AttachType.TRACE_UPROBE_MULTI) {
        if (options.uprobe === undefined) return fromSection();
        return attachUprobeMulti(program, { binary: options.uprobe.binary, symbols: options.uprobe.symbol === undefined ? [] : [options.uprobe.symbol], retprobe: options.retprobe === true, ...(options.uprobe.pid === undefined ? {} : { pid: options.uprobe.pid }) });
      }
      if (attachType === AttachType.TRACE_KPROBE_MULTI) {
        return options.target === undefined ? fromSection() : attachKprobeMulti(program, { pattern: options.target, retprobe: options.retprobe === true });
      }
      if (options.uprobe !== undefined) return attachUprobe(program, { ...options.uprobe, retprobe: options.retprobe === true });
      if (options.target !== undefined) return attachKprobe(program, options.target, { retprobe: options.retprobe === true });
      return fromSection();
    case ProgType.PERF_EVENT:
      if (options.perfEvent === undefined) throw need('options.perfEvent');
      return attachPerfEvent(program, options.perfEvent);
    case ProgType.XDP:
      if (options.device === undefined) throw need('options.device');
      return attachXdp(program, { ...options.device, ...(options.xdpFlags === undefined ? {} : { flags: options.xdpFlags }) });
    case ProgType.SCHED_CLS: {
      if (options.device === undefined) throw need('options.device');
      const direction = options.direction ?? (attachType === AttachType.TCX_EGRESS ? 'egress' : attachType === AttachType.TCX_INGRESS ? 'ingress' : undefined);
      if (direction === undefined) throw need("options.direction ('ingress' or 'egress')");
      return attachTcx(program, { ...options.device, direction });
    }
    case ProgType.CGROUP_SKB:
    case ProgType.CGROUP_SOCK:
    case ProgType.CGROUP_SOCK_ADDR:
    case ProgType.SOCK_OPS:
    case ProgType.CGROUP_DEVICE:
    case ProgType.CGROUP_SYSCTL:
    case ProgType.CGROUP_SOCKOPT:
      if (options.cgroup === undefined) throw need('options.cgroup');
      return attachCgroup(program, { cgroup: options.cgroup, ...(options.attachType === undefined ? {} : { attachType: options.attachType }) });
    case ProgType.SOCKET_FILTER:
      if (options.socketFd === undefined) throw need('options.socketFd');
      return attachSocketFilter(program, options.socketFd);
    case ProgType.SK_LOOKUP:
    case ProgType.FLOW_DISSECTOR:
      return attachNetns(program, { ...(options.netns === undefined ? {} : { netns: options.netns }), attachType: program.type === ProgType.SK_LOOKUP ? AttachType.SK_LOOKUP : AttachType.FLOW_DISSECTOR });
    case ProgType.SK_MSG:
    case ProgType.SK_SKB:
      if (options.sockmapFd === undefined) throw need('options.sockmapFd');
      return attachSockmap(program, { mapFd: options.sockmapFd, ...(options.attachType === undefined ? {} : { attachType: options.attachType }) });
    case ProgType.NETFILTER:
      if (options.netfilter === undefined) throw need('options.netfilter');
      return attachNetfilter(program, options.netfilter);
    default:
      throw new LinkError(`bpf-ts cannot attach programs of type ${program.type ?? 'unknown'} (struct_ops maps attach with their map; syscall programs run with BPF_PROG_TEST_RUN)`, { program: label });
  }
}
