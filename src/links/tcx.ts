import { NotSupportedError } from '../sys/errors.js';
import { AttachType } from '../sys/uapi.js';
import { kernelKnowsAttachType, attachTypeLabel } from './kernel-attach-types.js';
import { errnoCode, linkCreate, LinkCreateLayout } from './link-create.js';
import { Link } from './link.js';
import { deviceIndex, deviceLabel, type NetDevice } from './netdev.js';
import { programLabel, type AttachableProgram } from './program.js';

/** `BPF_F_BEFORE`, `BPF_F_AFTER`, `BPF_F_ID`, `BPF_F_LINK` (multi-prog attach, Linux 6.6+). */
const MprogFlag = { BEFORE: 1 << 3, AFTER: 1 << 4, ID: 1 << 5, LINK: 1 << 13 } as const;

/** Where a tcx program goes relative to the others on the same hook. */
export interface TcxAnchor {
  readonly position: 'before' | 'after';
  /** Relative to this program (by fd)... */
  readonly program?: AttachableProgram;
  /** ...or to the program of this link (by link fd). Neither: first/last of the chain. */
  readonly link?: { readonly fd: number };
}

/** Options of {@link attachTcx}. */
export type TcxOptions = NetDevice & {
  readonly direction: 'ingress' | 'egress';
  readonly anchor?: TcxAnchor;
  /** Fail with `ESTALE` unless the hook's revision is still this (optimistic concurrency). */
  readonly expectedRevision?: bigint;
};

/**
 * Attaches a `BPF_PROG_TYPE_SCHED_CLS` program to a device's ingress or egress through a tcx
 * `bpf_link` (`BPF_LINK_CREATE` with `BPF_TCX_INGRESS`/`BPF_TCX_EGRESS`, Linux 6.6+). Several
 * programs share a hook in order; return `TCX_NEXT` (-1) to pass to the next one.
 * SEC names: `tcx/ingress`, `tcx/egress` (and `tc/ingress`, `tc/egress`).
 *
 * @example
 * ```ts
 * using link = attachTcx(obj.program('count_in')!, { interface: 'veth0', direction: 'ingress' });
 * ```
 */
export function attachTcx(program: AttachableProgram, options: TcxOptions): Link {
  const label = programLabel(program);
  const ifindex = deviceIndex(options, label);
  const target = `${deviceLabel(options, ifindex)} ${options.direction}`;
  const anchor = options.anchor;
  let flags = 0;
  let relative = 0;
  if (anchor !== undefined) {
    flags |= anchor.position === 'before' ? MprogFlag.BEFORE : MprogFlag.AFTER;
    if (anchor.link !== undefined) {
      flags |= MprogFlag.LINK;
      relative = anchor.link.fd;
    } else if (anchor.program !== undefined) {
      relative = anchor.program.fd;
    }
  }
  const attachType = options.direction === 'ingress' ? AttachType.TCX_INGRESS : AttachType.TCX_EGRESS;
  let fd;
  try {
    fd = linkCreate({
      program,
      target: ifindex,
      attachType,
      flags,
      description: `tcx ${target}`,
      extra: (w) => {
        w.u32(LinkCreateLayout.tcxRelative, relative);
        if (options.expectedRevision !== undefined) w.u64(LinkCreateLayout.tcxExpectedRevision, options.expectedRevision);
      },
    });
  } catch (e) {
    // A kernel before 6.6 answers EINVAL: its enum bpf_attach_type ends before tcx.
    if (errnoCode(e) === 'EINVAL' && !kernelKnowsAttachType(attachType)) {
      throw new NotSupportedError(
        'tcx',
        `program '${label}' -> tcx ${target}: the kernel has no tcx links (${attachTypeLabel(attachType)} needs Linux 6.6+); use attachTc (a cls_bpf filter under the clsact qdisc) there`,
        { cause: e },
      );
    }
    throw e;
  }
  return new Link({ kind: 'tcx', program: label, target, linkFd: fd });
}
