/**
 * `BPF_PROG_QUERY`: the programs attached to a cgroup, a netns or (tcx, Linux 6.6+) a network
 * device at one attach point, in order, with their flags and (6.6+) the links holding them.
 */
import { AttrWriter } from './attr.js';
import { BpfCmd, bpfSyscall } from './bpf.js';
import { SysError } from './errors.js';

/** `union bpf_attr.query`. */
const Q = { SIZE: 64, target: 0, attachType: 4, queryFlags: 8, attachFlags: 12, progIds: 16, count: 24, progAttachFlags: 32, linkIds: 40, linkAttachFlags: 48, revision: 56 } as const;

/** `BPF_F_QUERY_EFFECTIVE`: every program that runs for the cgroup, inherited ones included. */
export const BPF_F_QUERY_EFFECTIVE = 1;

/** Options of {@link progQuery}. */
export interface ProgQueryOptions {
  /** `query_flags` (`BPF_F_QUERY_EFFECTIVE`). */
  readonly queryFlags?: number;
  /** Ask for each program's attach flags (`prog_attach_flags`, Linux 6.0+ for cgroups). */
  readonly perProgramFlags?: boolean;
  /** Ask for the link ids and link flags (tcx and netkit, Linux 6.6+). */
  readonly links?: boolean;
}

/** What {@link progQuery} returns. */
export interface ProgQueryResult {
  /** `attach_flags` of the attach point (cgroups: `BPF_F_ALLOW_OVERRIDE`/`MULTI`). */
  readonly attachFlags: number;
  readonly progIds: readonly number[];
  /** Per program, with `perProgramFlags` (zeros otherwise). */
  readonly progAttachFlags: readonly number[];
  /** Per program, with `links` (0 for a program attached without a link). */
  readonly linkIds: readonly number[];
  readonly linkAttachFlags: readonly number[];
  /** The attach point's revision (tcx), 0 where the kernel keeps none. */
  readonly revision: bigint;
}

/**
 * `BPF_PROG_QUERY` on `target` (a cgroup or netns fd, or an ifindex for tcx) at `attachType`.
 * Throws `SysError` (EINVAL for a query the kernel does not know, EPERM without privileges).
 *
 * @example
 * ```ts
 * const r = progQuery(cgroupFd, AttachType.CGROUP_INET_EGRESS, { queryFlags: BPF_F_QUERY_EFFECTIVE });
 * console.log(r.progIds);
 * ```
 */
export function progQuery(target: number, attachType: number, options: ProgQueryOptions = {}): ProgQueryResult {
  let capacity = 64;
  for (;;) {
    const ids = new Uint32Array(capacity);
    const flags = new Uint32Array(capacity);
    const links = new Uint32Array(capacity);
    const linkFlags = new Uint32Array(capacity);
    const w = new AttrWriter(Q.SIZE)
      .u32(Q.target, target)
      .u32(Q.attachType, attachType)
      .u32(Q.queryFlags, options.queryFlags ?? 0)
      .pointer(Q.progIds, ids)
      .u32(Q.count, capacity);
    if (options.perProgramFlags === true) w.pointer(Q.progAttachFlags, flags);
    if (options.links === true) w.pointer(Q.linkIds, links).pointer(Q.linkAttachFlags, linkFlags);
    try {
      bpfSyscall(BpfCmd.PROG_QUERY, w.bytes, `BPF_PROG_QUERY attach type ${attachType}`, w, ids, flags, links, linkFlags);
    } catch (e) {
      const count = new DataView(w.bytes.buffer, w.bytes.byteOffset).getUint32(Q.count, true);
      // More programs than room: the kernel says how many; ask again with that.
      if (e instanceof SysError && e.code === 'ENOSPC' && count > capacity) {
        capacity = count;
        continue;
      }
      throw e;
    }
    const v = new DataView(w.bytes.buffer, w.bytes.byteOffset, w.bytes.byteLength);
    const count = Math.min(v.getUint32(Q.count, true), capacity);
    return {
      attachFlags: v.getUint32(Q.attachFlags, true),
      progIds: Array.from(ids.subarray(0, count)),
      progAttachFlags: Array.from(flags.subarray(0, count)),
      linkIds: Array.from(links.subarray(0, count)),
      linkAttachFlags: Array.from(linkFlags.subarray(0, count)),
      revision: v.getBigUint64(Q.revision, true),
    };
  }
}
