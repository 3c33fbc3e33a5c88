/**
 * libbpf's SEC() table: which program type, expected attach type and load flags a program gets
 * from the name of the ELF section it lives in, and how it auto-attaches.
 *
 * Transcribed from `section_defs[]` in libbpf's `src/libbpf.c` (libbpf master of 2026-07,
 * commit f7081a6b), in the same order: the first matching entry wins, so order is semantics
 * (`sk_reuseport/migrate` before `sk_reuseport`, `tc/ingress` before `tc`, ...). When libbpf
 * adds a family, add the row here at the same position.
 */
import { AttachType, ProgType } from '../sys/uapi.js';

/**
 * Attach types newer than the kernel `src/sys/uapi.ts` was generated from, with their
 * `enum bpf_attach_type` numbers from libbpf's copy of `include/uapi/linux/bpf.h`.
 */
const NewerAttachType = {
  TRACE_FSESSION: 58,
  TRACE_FENTRY_MULTI: 59,
  TRACE_FEXIT_MULTI: 60,
  TRACE_FSESSION_MULTI: 61,
} as const;

/** libbpf's `enum sec_def_flags` bits, kept as the `cookie` of each table row. */
export const SecFlag = {
  NONE: 0,
  /** The kernel may not know `expected_attach_type` for this type: drop it on old kernels. */
  EXP_ATTACH_OPT: 1,
  /** Attached with `BPF_PROG_ATTACH` (or a link) to a target fd, e.g. a cgroup. */
  ATTACHABLE: 2,
  /** `ATTACHABLE | EXP_ATTACH_OPT`. */
  ATTACHABLE_OPT: 3,
  /** The section's `/target` names a BTF function or type (`attach_btf_id`). */
  ATTACH_BTF: 4,
  /** Loaded with `BPF_F_SLEEPABLE`. */
  SLEEPABLE: 8,
  /** XDP program loaded with `BPF_F_XDP_HAS_FRAGS`. */
  XDP_FRAGS: 16,
  /** A USDT probe: attached via uprobe(-multi) plus the USDT spec maps. */
  USDT: 32,
} as const;
/** One `SecFlag` bit (the table stores their OR). */
export type SecFlag = (typeof SecFlag)[keyof typeof SecFlag];

/**
 * How libbpf's `bpf_program__attach()` auto-attaches a family (the row's `attach_fn`), or
 * `'none'` when the family has no auto-attach (cgroup, XDP, tc, ... need an explicit target).
 */
export const AutoAttach = {
  NONE: 'none',
  KPROBE: 'kprobe',
  UPROBE: 'uprobe',
  KSYSCALL: 'ksyscall',
  USDT: 'usdt',
  TRACEPOINT: 'tracepoint',
  RAW_TRACEPOINT: 'raw_tracepoint',
  TRACE: 'trace',
  KPROBE_MULTI: 'kprobe_multi',
  KPROBE_SESSION: 'kprobe_session',
  UPROBE_MULTI: 'uprobe_multi',
  LSM: 'lsm',
  ITER: 'iter',
  TRACING_MULTI: 'tracing_multi',
} as const;
/** One of the `AutoAttach` kinds. */
export type AutoAttach = (typeof AutoAttach)[keyof typeof AutoAttach];

/**
 * One row of libbpf's section table (`struct bpf_sec_def`).
 *
 * `sec` keeps libbpf's spelling: a trailing `+` means "exactly this, or this followed by
 * `/anything`"; a trailing `/` means "this prefix and something after it"; otherwise the section
 * name must be exactly `sec`.
 */
export interface SectionDef {
  readonly sec: string;
  /** `enum bpf_prog_type`. */
  readonly progType: number;
  /** `enum bpf_attach_type` passed at load as `expected_attach_type` (0 when none). */
  readonly expectedAttachType: number;
  /** OR of `SecFlag` bits. */
  readonly flags: number;
  readonly autoAttach: AutoAttach;
}

const P = ProgType;
const A = { ...AttachType, ...NewerAttachType };
const F = SecFlag;
const X = AutoAttach;

function def(sec: string, progType: number, expectedAttachType: number, flags: number, autoAttach: AutoAttach = X.NONE): SectionDef {
  return Object.freeze({ sec, progType, expectedAttachType, flags, autoAttach });
}

/** libbpf's `section_defs[]`, in libbpf's order (first match wins). */
export const SECTION_DEFS: readonly SectionDef[] = Object.freeze([
  def('socket', P.SOCKET_FILTER, 0, F.NONE),
  def('sk_reuseport/migrate', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT_OR_MIGRATE, F.ATTACHABLE),
  def('sk_reuseport', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT, F.ATTACHABLE),
  def('kprobe+', P.KPROBE, 0, F.NONE, X.KPROBE),
  def('uprobe+', P.KPROBE, 0, F.NONE, X.UPROBE),
  def('uprobe.s+', P.KPROBE, 0, F.SLEEPABLE, X.UPROBE),
  def('kretprobe+', P.KPROBE, 0, F.NONE, X.KPROBE),
  def('uretprobe+', P.KPROBE, 0, F.NONE, X.UPROBE),
  def('uretprobe.s+', P.KPROBE, 0, F.SLEEPABLE, X.UPROBE),
  def('kprobe.multi+', P.KPROBE, A.TRACE_KPROBE_MULTI, F.NONE, X.KPROBE_MULTI),
  def('kretprobe.multi+', P.KPROBE, A.TRACE_KPROBE_MULTI, F.NONE, X.KPROBE_MULTI),
  def('kprobe.session+', P.KPROBE, A.TRACE_KPROBE_SESSION, F.NONE, X.KPROBE_SESSION),
  def('uprobe.multi+', P.KPROBE, A.TRACE_UPROBE_MULTI, F.NONE, X.UPROBE_MULTI),
  def('uretprobe.multi+', P.KPROBE, A.TRACE_UPROBE_MULTI, F.NONE, X.UPROBE_MULTI),
  def('uprobe.session+', P.KPROBE, A.TRACE_UPROBE_SESSION, F.NONE, X.UPROBE_MULTI),
  def('uprobe.multi.s+', P.KPROBE, A.TRACE_UPROBE_MULTI, F.SLEEPABLE, X.UPROBE_MULTI),
  def('uretprobe.multi.s+', P.KPROBE, A.TRACE_UPROBE_MULTI, F.SLEEPABLE, X.UPROBE_MULTI),
  def('uprobe.session.s+', P.KPROBE, A.TRACE_UPROBE_SESSION, F.SLEEPABLE, X.UPROBE_MULTI),
  def('ksyscall+', P.KPROBE, 0, F.NONE, X.KSYSCALL),
  def('kretsyscall+', P.KPROBE, 0, F.NONE, X.KSYSCALL),
  def('usdt+', P.KPROBE, 0, F.USDT, X.USDT),
  def('usdt.s+', P.KPROBE, 0, F.USDT | F.SLEEPABLE, X.USDT),
  // tc/ingress and tc/egress are aliases of tcx; plain tc, classifier and action are legacy.
  def('tc/ingress', P.SCHED_CLS, A.TCX_INGRESS, F.NONE),
  def('tc/egress', P.SCHED_CLS, A.TCX_EGRESS, F.NONE),
  def('tcx/ingress', P.SCHED_CLS, A.TCX_INGRESS, F.NONE),
  def('tcx/egress', P.SCHED_CLS, A.TCX_EGRESS, F.NONE),
  def('tc', P.SCHED_CLS, 0, F.NONE),
  def('classifier', P.SCHED_CLS, 0, F.NONE),
  def('action', P.SCHED_ACT, 0, F.NONE),
  def('netkit/primary', P.SCHED_CLS, A.NETKIT_PRIMARY, F.NONE),
  def('netkit/peer', P.SCHED_CLS, A.NETKIT_PEER, F.NONE),
  def('tracepoint+', P.TRACEPOINT, 0, F.NONE, X.TRACEPOINT),
  def('tp+', P.TRACEPOINT, 0, F.NONE, X.TRACEPOINT),
  def('tracepoint.s+', P.TRACEPOINT, 0, F.SLEEPABLE, X.TRACEPOINT),
  def('tp.s+', P.TRACEPOINT, 0, F.SLEEPABLE, X.TRACEPOINT),
  def('raw_tracepoint+', P.RAW_TRACEPOINT, 0, F.NONE, X.RAW_TRACEPOINT),
  def('raw_tp+', P.RAW_TRACEPOINT, 0, F.NONE, X.RAW_TRACEPOINT),
  def('raw_tracepoint.s+', P.RAW_TRACEPOINT, 0, F.SLEEPABLE, X.RAW_TRACEPOINT),
  def('raw_tp.s+', P.RAW_TRACEPOINT, 0, F.SLEEPABLE, X.RAW_TRACEPOINT),
  def('raw_tracepoint.w+', P.RAW_TRACEPOINT_WRITABLE, 0, F.NONE, X.RAW_TRACEPOINT),
  def('raw_tp.w+', P.RAW_TRACEPOINT_WRITABLE, 0, F.NONE, X.RAW_TRACEPOINT),
  def('tp_btf+', P.TRACING, A.TRACE_RAW_TP, F.ATTACH_BTF, X.TRACE),
  def('tp_btf.s+', P.TRACING, A.TRACE_RAW_TP, F.ATTACH_BTF | F.SLEEPABLE, X.TRACE),
  def('fentry+', P.TRACING, A.TRACE_FENTRY, F.ATTACH_BTF, X.TRACE),
  def('fmod_ret+', P.TRACING, A.MODIFY_RETURN, F.ATTACH_BTF, X.TRACE),
  def('fexit+', P.TRACING, A.TRACE_FEXIT, F.ATTACH_BTF, X.TRACE),
  def('fentry.s+', P.TRACING, A.TRACE_FENTRY, F.ATTACH_BTF | F.SLEEPABLE, X.TRACE),
  def('fmod_ret.s+', P.TRACING, A.MODIFY_RETURN, F.ATTACH_BTF | F.SLEEPABLE, X.TRACE),
  def('fexit.s+', P.TRACING, A.TRACE_FEXIT, F.ATTACH_BTF | F.SLEEPABLE, X.TRACE),
  def('fsession+', P.TRACING, A.TRACE_FSESSION, F.ATTACH_BTF, X.TRACE),
  def('fsession.s+', P.TRACING, A.TRACE_FSESSION, F.ATTACH_BTF | F.SLEEPABLE, X.TRACE),
  def('fsession.multi+', P.TRACING, A.TRACE_FSESSION_MULTI, F.NONE, X.TRACING_MULTI),
  def('fsession.multi.s+', P.TRACING, A.TRACE_FSESSION_MULTI, F.SLEEPABLE, X.TRACING_MULTI),
  def('fentry.multi+', P.TRACING, A.TRACE_FENTRY_MULTI, F.NONE, X.TRACING_MULTI),
  def('fexit.multi+', P.TRACING, A.TRACE_FEXIT_MULTI, F.NONE, X.TRACING_MULTI),
  def('fentry.multi.s+', P.TRACING, A.TRACE_FENTRY_MULTI, F.SLEEPABLE, X.TRACING_MULTI),
  def('fexit.multi.s+', P.TRACING, A.TRACE_FEXIT_MULTI, F.SLEEPABLE, X.TRACING_MULTI),
  def('freplace+', P.EXT, 0, F.ATTACH_BTF, X.TRACE),
  def('lsm+', P.LSM, A.LSM_MAC, F.ATTACH_BTF, X.LSM),
  def('lsm.s+', P.LSM, A.LSM_MAC, F.ATTACH_BTF | F.SLEEPABLE, X.LSM),
  def('lsm_cgroup+', P.LSM, A.LSM_CGROUP, F.ATTACH_BTF),
  def('iter+', P.TRACING, A.TRACE_ITER, F.ATTACH_BTF, X.ITER),
  def('iter.s+', P.TRACING, A.TRACE_ITER, F.ATTACH_BTF | F.SLEEPABLE, X.ITER),
  def('syscall', P.SYSCALL, 0, F.SLEEPABLE),
  def('xdp.frags/devmap', P.XDP, A.XDP_DEVMAP, F.XDP_FRAGS),
  def('xdp/devmap', P.XDP, A.XDP_DEVMAP, F.ATTACHABLE),
  def('xdp.frags/cpumap', P.XDP, A.XDP_CPUMAP, F.XDP_FRAGS),
  def('xdp/cpumap', P.XDP, A.XDP_CPUMAP, F.ATTACHABLE),
  def('xdp.frags', P.XDP, A.XDP, F.XDP_FRAGS),
  def('xdp', P.XDP, A.XDP, F.ATTACHABLE_OPT),
  def('perf_event', P.PERF_EVENT, 0, F.NONE),
  def('lwt_in', P.LWT_IN, 0, F.NONE),
  def('lwt_out', P.LWT_OUT, 0, F.NONE),
  def('lwt_xmit', P.LWT_XMIT, 0, F.NONE),
  def('lwt_seg6local', P.LWT_SEG6LOCAL, 0, F.NONE),
  def('sockops', P.SOCK_OPS, A.CGROUP_SOCK_OPS, F.ATTACHABLE_OPT),
  def('sk_skb/stream_parser', P.SK_SKB, A.SK_SKB_STREAM_PARSER, F.ATTACHABLE_OPT),
  def('sk_skb/stream_verdict', P.SK_SKB, A.SK_SKB_STREAM_VERDICT, F.ATTACHABLE_OPT),
  def('sk_skb/verdict', P.SK_SKB, A.SK_SKB_VERDICT, F.ATTACHABLE_OPT),
  def('sk_skb', P.SK_SKB, 0, F.NONE),
  def('sk_msg', P.SK_MSG, A.SK_MSG_VERDICT, F.ATTACHABLE_OPT),
  def('lirc_mode2', P.LIRC_MODE2, A.LIRC_MODE2, F.ATTACHABLE_OPT),
  def('flow_dissector', P.FLOW_DISSECTOR, A.FLOW_DISSECTOR, F.ATTACHABLE_OPT),
  def('cgroup_skb/ingress', P.CGROUP_SKB, A.CGROUP_INET_INGRESS, F.ATTACHABLE_OPT),
  def('cgroup_skb/egress', P.CGROUP_SKB, A.CGROUP_INET_EGRESS, F.ATTACHABLE_OPT),
  def('cgroup/skb', P.CGROUP_SKB, 0, F.NONE),
  def('cgroup/sock_create', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE, F.ATTACHABLE),
  def('cgroup/sock_release', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_RELEASE, F.ATTACHABLE),
  def('cgroup/sock', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE, F.ATTACHABLE_OPT),
  def('cgroup/post_bind4', P.CGROUP_SOCK, A.CGROUP_INET4_POST_BIND, F.ATTACHABLE),
  def('cgroup/post_bind6', P.CGROUP_SOCK, A.CGROUP_INET6_POST_BIND, F.ATTACHABLE),
  def('cgroup/bind4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_BIND, F.ATTACHABLE),
  def('cgroup/bind6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_BIND, F.ATTACHABLE),
  def('cgroup/connect4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_CONNECT, F.ATTACHABLE),
  def('cgroup/connect6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_CONNECT, F.ATTACHABLE),
  def('cgroup/connect_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_CONNECT, F.ATTACHABLE),
  def('cgroup/sendmsg4', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_SENDMSG, F.ATTACHABLE),
  def('cgroup/sendmsg6', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_SENDMSG, F.ATTACHABLE),
  def('cgroup/sendmsg_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_SENDMSG, F.ATTACHABLE),
  def('cgroup/recvmsg4', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_RECVMSG, F.ATTACHABLE),
  def('cgroup/recvmsg6', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_RECVMSG, F.ATTACHABLE),
  def('cgroup/recvmsg_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_RECVMSG, F.ATTACHABLE),
  def('cgroup/getpeername4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETPEERNAME, F.ATTACHABLE),
  def('cgroup/getpeername6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETPEERNAME, F.ATTACHABLE),
  def('cgroup/getpeername_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETPEERNAME, F.ATTACHABLE),
  def('cgroup/getsockname4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETSOCKNAME, F.ATTACHABLE),
  def('cgroup/getsockname6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETSOCKNAME, F.ATTACHABLE),
  def('cgroup/getsockname_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETSOCKNAME, F.ATTACHABLE),
  def('cgroup/sysctl', P.CGROUP_SYSCTL, A.CGROUP_SYSCTL, F.ATTACHABLE),
  def('cgroup/getsockopt', P.CGROUP_SOCKOPT, A.CGROUP_GETSOCKOPT, F.ATTACHABLE),
  def('cgroup/setsockopt', P.CGROUP_SOCKOPT, A.CGROUP_SETSOCKOPT, F.ATTACHABLE),
  def('cgroup/dev', P.CGROUP_DEVICE, A.CGROUP_DEVICE, F.ATTACHABLE_OPT),
  def('struct_ops+', P.STRUCT_OPS, 0, F.NONE),
  def('struct_ops.s+', P.STRUCT_OPS, 0, F.SLEEPABLE),
  def('sk_lookup', P.SK_LOOKUP, A.SK_LOOKUP, F.ATTACHABLE),
  def('netfilter', P.NETFILTER, A.NETFILTER, F.NONE),
]);

/**
 * What a section name means for the programs in it. `def` is `undefined` for names libbpf does
 * not know: such programs parse fine (type `UNSPEC`), but libbpf refuses to load them until the
 * user sets a type.
 */
export interface SectionMatch {
  /** The name as written in the ELF file, including any leading `?`. */
  readonly sectionName: string;
  /** The name libbpf keeps after dropping a leading `?` (`bpf_program__section_name()`). */
  readonly name: string;
  readonly def: SectionDef | undefined;
  /** `enum bpf_prog_type`; `ProgType.UNSPEC` (0) when `def` is undefined. */
  readonly progType: number;
  /** `enum bpf_attach_type`, 0 when none. */
  readonly expectedAttachType: number;
  readonly sleepable: boolean;
  /** `false` for `SEC("?...")`: parsed, but not loaded unless re-enabled. */
  readonly autoload: boolean;
  /** Needs `BPF_F_XDP_HAS_FRAGS` at load. */
  readonly xdpFrags: boolean;
  /** The text after the family and its `/` (kprobe function, tracepoint, BTF target, ...). */
  readonly attachTo: string | undefined;
  readonly autoAttach: AutoAttach;
}

/**
 * libbpf's `sec_def_matches()`: does section `name` (without `?`) belong to this row?
 *
 * @example
 * ```ts
 * const kprobe = SECTION_DEFS.find((d) => d.sec === 'kprobe+')!;
 * sectionDefMatches(kprobe, 'kprobe/do_sys_open'); // true
 * sectionDefMatches(kprobe, 'kprobe');             // true
 * sectionDefMatches(kprobe, 'kprobex');            // false
 * ```
 */
export function sectionDefMatches(d: SectionDef, name: string): boolean {
  const sec = d.sec;
  if (sec.endsWith('/')) return name.startsWith(sec);
  if (sec.endsWith('+')) {
    const family = sec.slice(0, -1);
    if (!name.startsWith(family)) return false;
    return name.length === family.length || name[family.length] === '/';
  }
  return name === sec;
}

/** The first row of `defs` (libbpf's order) matching `name`, as libbpf's `find_sec_def()`. */
export function findSectionDef(name: string, defs: readonly SectionDef[] = SECTION_DEFS): SectionDef | undefined {
  for (const d of defs) if (sectionDefMatches(d, name)) return d;
  return undefined;
}

/**
 * Classifies a program's ELF section name the way libbpf's `bpf_object__open()` does: strip a
 * leading `?` (autoload off), find the first matching row, and derive type, expected attach
 * type, sleepability and the attach target.
 *
 * `attachTo` is what follows the first `/` for `+` families and BTF-attached ones (`fentry/f` ->
 * `f`, `uprobe/bin:sym` -> `bin:sym`); exact names such as `tc/ingress` have none.
 *
 * @example
 * ```ts
 * const m = matchSection('?fentry.s/do_nanosleep');
 * // m.progType === ProgType.TRACING, m.expectedAttachType === AttachType.TRACE_FENTRY,
 * // m.sleepable === true, m.autoload === false, m.attachTo === 'do_nanosleep'
 * ```
 */
export function matchSection(sectionName: string, defs: readonly SectionDef[] = SECTION_DEFS): SectionMatch {
  if (defs !== SECTION_DEFS) return classifySection(sectionName, defs);
  // Every load asks again for every program (open, attach target, autoattach): the answer for
  // libbpf's own table never changes, and the search walks most of its rows.
  let m = matches.get(sectionName);
  if (m === undefined) {
    if (matches.size >= MAX_REMEMBERED_MATCHES) matches.clear();
    // Frozen: callers share it.
    m = Object.freeze(classifySection(sectionName, defs));
    matches.set(sectionName, m);
  }
  return m;
}

/** `matchSection` answers for `SECTION_DEFS`, by section name. */
const matches = new Map<string, SectionMatch>();
const MAX_REMEMBERED_MATCHES = 1024;

function classifySection(sectionName: string, defs: readonly SectionDef[]): SectionMatch {
  const autoload = !sectionName.startsWith('?');
  const name = autoload ? sectionName : sectionName.slice(1);
  const d = findSectionDef(name, defs);
  if (d === undefined) {
    return {
      sectionName,
      name,
      def: undefined,
      progType: ProgType.UNSPEC,
      expectedAttachType: 0,
      sleepable: false,
      autoload,
      xdpFrags: false,
      attachTo: undefined,
      autoAttach: AutoAttach.NONE,
    };
  }
  let attachTo: string | undefined;
  if (d.sec.endsWith('+') || (d.flags & SecFlag.ATTACH_BTF) !== 0) {
    const slash = name.indexOf('/');
    if (slash >= 0) attachTo = name.slice(slash + 1);
  }
  return {
    sectionName,
    name,
    def: d,
    progType: d.progType,
    expectedAttachType: d.expectedAttachType,
    sleepable: (d.flags & SecFlag.SLEEPABLE) !== 0,
    autoload,
    xdpFrags: d.progType === ProgType.XDP && (d.flags & SecFlag.XDP_FRAGS) !== 0,
    attachTo,
    autoAttach: d.autoAttach,
  };
}
