/**
 * Classic tc attachment: a `cls_bpf` filter in direct-action mode under the device's `clsact`
 * qdisc, made over rtnetlink (libbpf's `bpf_tc_hook_create`/`bpf_tc_attach`/`bpf_tc_detach`).
 * Works on every kernel with `clsact` (4.5) and `cls_bpf`; tcx links (6.6) supersede it.
 */
import { constants } from 'node:os';
import { getProgInfo } from '../sys/info.js';
import { concatBytes, netlinkAttribute, NetlinkError, NetlinkFlag, netlinkUint, parseNetlinkAttributes, rtnetlinkRequest, RtmType } from '../sys/netlink.js';
import { strerror } from '../sys/strerror.js';
import { LinkError } from './errors.js';
import { Link } from './link.js';
import { deviceIndex, deviceLabel, type NetDevice } from './netdev.js';
import { programLabel, type AttachableProgram } from './program.js';

/** `TC_H_CLSACT` (= `TC_H_INGRESS`): the clsact qdisc's parent id. */
const TC_H_CLSACT = 0xfffffff1;
/** The clsact qdisc's own handle, `TC_H_MAKE(TC_H_CLSACT, 0)`. */
const CLSACT_HANDLE = 0xffff0000;
/** `TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS / TC_H_MIN_EGRESS)`: the two hooks of clsact. */
const HOOK_PARENT = { ingress: 0xfffffff2, egress: 0xfffffff3 } as const;
const ETH_P_ALL = 0x0003;
const TCA_KIND = 1;
const TCA_OPTIONS = 2;
const TCA_BPF_FD = 6;
const TCA_BPF_NAME = 7;
const TCA_BPF_FLAGS = 8;
const TCA_BPF_ID = 11;
const TCA_BPF_FLAG_ACT_DIRECT = 1;
const AF_UNSPEC = 0;
const TCMSG_SIZE = 20;

/** Options of {@link attachTc}. */
export type TcOptions = NetDevice & {
  readonly direction: 'ingress' | 'egress';
  /** Filter priority, 1..65535 (lower runs first); default: the kernel picks one. */
  readonly priority?: number;
  /** Filter handle, 1..2^32-1; default: the kernel picks one. */
  readonly handle?: number;
  /** Replace the filter with the same handle and priority instead of failing with `EEXIST`. */
  readonly replace?: boolean;
  /**
   * Also remove the `clsact` qdisc on `close()` when this attach created it (libbpf's explicit
   * `bpf_tc_hook_destroy`; it removes every filter on the device's clsact hooks). Default false:
   * the qdisc stays, as other filters may use it.
   */
  readonly destroyHookOnClose?: boolean;
};

/**
 * A classic tc attachment. Not a `bpf_link`: `close()` deletes the filter (and the `clsact`
 * qdisc with `destroyHookOnClose` when this attach created it); `pin`/`update`/`info` throw
 * `NotSupportedError`.
 */
export class TcLink extends Link {
  constructor(
    program: string,
    target: string,
    /** The device's ifindex. */
    readonly ifindex: number,
    readonly direction: 'ingress' | 'egress',
    /** The filter's priority (the kernel's choice when none was given). */
    readonly priority: number,
    /** The filter's handle (the kernel's choice when none was given). */
    readonly handle: number,
    /** The program id the kernel reports for the filter. */
    readonly programId: number,
    /** Whether this attach created the `clsact` qdisc. */
    readonly createdHook: boolean,
    cleanups: ReadonlyArray<() => void>,
  ) {
    super({ kind: 'tc', program, target, cleanups, legacyReason: 'classic tc filters are netlink objects; use attachTcx (Linux 6.6+) for a bpf_link' });
  }
}

/**
 * Attaches a `BPF_PROG_TYPE_SCHED_CLS` program to a device's ingress or egress as a classic tc
 * filter: creates the `clsact` qdisc if missing, then a `cls_bpf` filter in direct-action mode
 * (the program's return value is the tc verdict: `TC_ACT_OK` 0, `TC_ACT_SHOT` 2, `TC_ACT_UNSPEC`
 * -1 continues with the next filter). The fallback for kernels before 6.6, which lack tcx.
 * Errors are {@link LinkError}s (unknown device, bad priority or handle, the kernel's refusal with
 * its errno as `cause`).
 *
 * @example
 * ```ts
 * using link = attachTc(obj.program('count_in')!, { interface: 'veth0', direction: 'ingress', priority: 1 });
 * console.log(link.handle, link.priority);
 * ```
 */
export function attachTc(program: AttachableProgram, options: TcOptions): TcLink {
  const label = programLabel(program);
  const ifindex = deviceIndex(options, label);
  const target = `${deviceLabel(options, ifindex)} ${options.direction}`;
  const context = { program: label, target: `tc ${target}` };
  const priority = options.priority ?? 0;
  const handle = options.handle ?? 0;
  if (options.priority !== undefined && (!Number.isInteger(priority) || priority < 1 || priority > 0xffff)) {
    throw new LinkError(`priority ${String(options.priority)} is outside 1..65535`, context);
  }
  if (options.handle !== undefined && (!Number.isInteger(handle) || handle < 1 || handle > 0xffffffff)) {
    throw new LinkError(`handle ${String(options.handle)} is outside 1..4294967295`, context);
  }
  if (options.direction !== 'ingress' && options.direction !== 'egress') {
    throw new LinkError(`direction ${String(options.direction)} is neither 'ingress' nor 'egress'`, context);
  }
  const createdHook = createTcHook({ ifindex }, context);
  const parent = HOOK_PARENT[options.direction];
  let echoed;
  try {
    const name = filterName(program, label);
    const body = concatBytes([
      tcmsg(ifindex, handle, parent, ((priority << 16) | htons(ETH_P_ALL)) >>> 0),
      netlinkAttribute(TCA_KIND, 'bpf'),
      netlinkAttribute(TCA_OPTIONS, [
        netlinkAttribute(TCA_BPF_FD, program.fd),
        netlinkAttribute(TCA_BPF_NAME, name),
        netlinkAttribute(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT),
      ]),
    ]);
    const flags = NetlinkFlag.ECHO | NetlinkFlag.CREATE | (options.replace === true ? NetlinkFlag.REPLACE : NetlinkFlag.EXCL);
    echoed = netlinkOrLinkError(() => rtnetlinkRequest(RtmType.NEWTFILTER, flags, body), 'RTM_NEWTFILTER', context);
  } catch (e) {
    if (createdHook) {
      try {
        destroyClsact(ifindex);
      } catch {
        // The attach error is the one to report.
      }
    }
    throw e;
  }
  const reply = echoed.find((m) => m.type === RtmType.NEWTFILTER);
  if (reply === undefined) throw new LinkError('RTM_NEWTFILTER: the kernel echoed no filter', context);
  const rv = new DataView(reply.payload.buffer, reply.payload.byteOffset, reply.payload.byteLength);
  const gotHandle = rv.getUint32(8, true);
  const gotPriority = rv.getUint32(16, true) >>> 16;
  const options2 = parseNetlinkAttributes(reply.payload.subarray(TCMSG_SIZE)).get(TCA_OPTIONS);
  const programId = netlinkUint(options2 === undefined ? undefined : parseNetlinkAttributes(options2).get(TCA_BPF_ID)) ?? 0;
  const cleanups: Array<() => void> = [];
  if (createdHook && options.destroyHookOnClose === true) cleanups.push(() => destroyClsact(ifindex));
  // Cleanups run last registered first: the filter goes before the qdisc.
  cleanups.push(() => detachTcFilter(ifindex, parent, gotHandle, gotPriority, context));
  return new TcLink(label, target, ifindex, options.direction, gotPriority, gotHandle, programId, createdHook, cleanups);
}

/**
 * Adds a `clsact` qdisc to the device (libbpf's `bpf_tc_hook_create`): true when this call created
 * it, false when it was there already. Throws {@link LinkError} when the kernel refuses.
 *
 * @example
 * ```ts
 * if (createTcHook({ interface: 'veth0' })) console.log('clsact added');
 * ```
 */
export function createTcHook(device: NetDevice, context: { program?: string; target?: string } = {}): boolean {
  const ifindex = deviceIndex(device, context.program ?? '');
  const ctx = { program: context.program, target: context.target ?? `tc ${deviceLabel(device, ifindex)}` };
  try {
    netlinkOrLinkError(
      () => rtnetlinkRequest(RtmType.NEWQDISC, NetlinkFlag.CREATE | NetlinkFlag.EXCL, concatBytes([tcmsg(ifindex, CLSACT_HANDLE, TC_H_CLSACT, 0), netlinkAttribute(TCA_KIND, 'clsact')])),
      'RTM_NEWQDISC clsact',
      ctx,
    );
    return true;
  } catch (e) {
    if (e instanceof LinkError && e.cause instanceof NetlinkError && e.cause.errno === constants.errno.EEXIST) return false;
    throw e;
  }
}

/**
 * Removes the device's `clsact` qdisc and with it every filter on its ingress and egress hooks
 * (libbpf's `bpf_tc_hook_destroy` for both hooks). Throws {@link LinkError} when there is none.
 *
 * @example
 * ```ts
 * destroyTcHook({ interface: 'veth0' });
 * ```
 */
export function destroyTcHook(device: NetDevice): void {
  const ifindex = deviceIndex(device, '');
  netlinkOrLinkError(() => destroyClsact(ifindex), 'RTM_DELQDISC clsact', { target: `tc ${deviceLabel(device, ifindex)}` });
}

function destroyClsact(ifindex: number): void {
  rtnetlinkRequest(RtmType.DELQDISC, 0, concatBytes([tcmsg(ifindex, CLSACT_HANDLE, TC_H_CLSACT, 0), netlinkAttribute(TCA_KIND, 'clsact')]));
}

function detachTcFilter(ifindex: number, parent: number, handle: number, priority: number, context: { program: string; target: string }): void {
  const body = concatBytes([tcmsg(ifindex, handle, parent, ((priority << 16) | htons(ETH_P_ALL)) >>> 0), netlinkAttribute(TCA_KIND, 'bpf')]);
  netlinkOrLinkError(() => rtnetlinkRequest(RtmType.DELTFILTER, 0, body), 'RTM_DELTFILTER', context);
}

/** Runs a netlink request; a kernel refusal becomes a LinkError naming the request and errno. */
function netlinkOrLinkError<T>(f: () => T, request: string, context: { program?: string | undefined; target?: string | undefined }): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof NetlinkError && e.errno !== 0) {
      throw new LinkError(`${request} failed (${errnoName(e.errno)}: ${strerror(e.errno)})`, context, { cause: e });
    }
    throw new LinkError(`${request} failed: ${e instanceof Error ? e.message : String(e)}`, context, { cause: e });
  }
}

function errnoName(errno: number): string {
  for (const [name, n] of Object.entries(constants.errno)) if (n === errno) return name;
  return `errno ${errno}`;
}

/** libbpf's filter name: the kernel's program name and id, `name:[id]`. */
function filterName(program: AttachableProgram, label: string): string {
  try {
    const info = getProgInfo(program.fd);
    return `${info.name}:[${info.id}]`;
  } catch {
    return label;
  }
}

/** `struct tcmsg`: family, pads, ifindex, handle, parent, info. */
function tcmsg(ifindex: number, handle: number, parent: number, info: number): Uint8Array {
  const b = new Uint8Array(TCMSG_SIZE);
  const v = new DataView(b.buffer);
  v.setUint8(0, AF_UNSPEC);
  v.setInt32(4, ifindex, true);
  v.setUint32(8, handle >>> 0, true);
  v.setUint32(12, parent >>> 0, true);
  v.setUint32(16, info >>> 0, true);
  return b;
}

function htons(n: number): number {
  return ((n & 0xff) << 8) | ((n >> 8) & 0xff);
}
