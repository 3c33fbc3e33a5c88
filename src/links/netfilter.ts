import { AttachType } from '../sys/uapi.js';
import { linkCreate, LinkCreateLayout } from './link-create.js';
import { Link } from './link.js';
import { programLabel, type AttachableProgram } from './program.js';

/** `NFPROTO_*` protocol families netfilter BPF links accept. */
export const NfProto = { IPV4: 2, IPV6: 10 } as const;
/** One of {@link NfProto}. */
export type NfProto = (typeof NfProto)[keyof typeof NfProto];

/** `enum nf_inet_hooks`. */
export const NfInetHook = { PRE_ROUTING: 0, LOCAL_IN: 1, FORWARD: 2, LOCAL_OUT: 3, POST_ROUTING: 4 } as const;
/** One of {@link NfInetHook}. */
export type NfInetHook = (typeof NfInetHook)[keyof typeof NfInetHook];

/** `BPF_F_NETFILTER_IP_DEFRAG` (Linux 6.6+): see reassembled packets. */
export const NETFILTER_IP_DEFRAG = 1;

/** Options of {@link attachNetfilter}. */
export interface NetfilterOptions {
  readonly pf: NfProto;
  readonly hooknum: NfInetHook;
  /** Hook priority (must not be `NF_IP_PRI_FIRST`/`LAST`); lower runs first. */
  readonly priority: number;
  /** {@link NETFILTER_IP_DEFRAG}. */
  readonly flags?: number;
}

/**
 * Attaches a `BPF_PROG_TYPE_NETFILTER` program to a netfilter hook of this network namespace as
 * a netfilter `bpf_link` (`BPF_LINK_CREATE` with `BPF_NETFILTER`, Linux 6.4+). The program
 * returns `NF_ACCEPT` (1) or `NF_DROP` (0).
 *
 * @example
 * ```ts
 * using link = attachNetfilter(prog, { pf: NfProto.IPV4, hooknum: NfInetHook.LOCAL_IN, priority: -128 });
 * ```
 */
export function attachNetfilter(program: AttachableProgram, options: NetfilterOptions): Link {
  const label = programLabel(program);
  const target = `netfilter pf ${options.pf} hook ${options.hooknum} prio ${options.priority}`;
  const L = LinkCreateLayout;
  const fd = linkCreate({
    program,
    target: 0,
    attachType: AttachType.NETFILTER,
    description: target,
    extra: (w) => w.u32(L.netfilterPf, options.pf).u32(L.netfilterHooknum, options.hooknum).i32(L.netfilterPriority, options.priority).u32(L.netfilterFlags, options.flags ?? 0),
  });
  return new Link({ kind: 'netfilter', program: label, target, linkFd: fd });
}
