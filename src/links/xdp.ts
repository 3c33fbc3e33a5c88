import { AttachType } from '../sys/uapi.js';
import { linkCreate } from './link-create.js';
import { Link } from './link.js';
import { deviceIndex, deviceLabel, type NetDevice } from './netdev.js';
import { programLabel, type AttachableProgram } from './program.js';

/** `XDP_FLAGS_*` from `include/uapi/linux/if_link.h`: the attach mode. */
export const XdpFlag = {
  /** Generic (skb) mode: works on every device, slower. */
  SKB_MODE: 1 << 1,
  /** Native driver mode. */
  DRV_MODE: 1 << 2,
  /** Offloaded to the NIC. */
  HW_MODE: 1 << 3,
} as const;
/** One of the {@link XdpFlag} modes. */
export type XdpFlag = (typeof XdpFlag)[keyof typeof XdpFlag];

/** Options of {@link attachXdp}. */
export type XdpOptions = NetDevice & {
  /** {@link XdpFlag} mode (default: the kernel picks driver mode when supported, else generic). */
  readonly flags?: number;
};

/**
 * Attaches a `BPF_PROG_TYPE_XDP` program to a network device as a `bpf_link` (`BPF_LINK_CREATE`
 * with `BPF_XDP`, Linux 5.9+). The link is exclusive per device and mode: a second XDP link on
 * the same device fails with `EBUSY`; use `update()` to swap programs atomically.
 *
 * @example
 * ```ts
 * using link = attachXdp(obj.program('xdp_pass')!, { interface: 'eth0', flags: XdpFlag.SKB_MODE });
 * ```
 */
export function attachXdp(program: AttachableProgram, options: XdpOptions): Link {
  const label = programLabel(program);
  const ifindex = deviceIndex(options, label);
  const target = deviceLabel(options, ifindex);
  const fd = linkCreate({ program, target: ifindex, attachType: AttachType.XDP, flags: options.flags ?? 0, description: `xdp ${target}` });
  return new Link({ kind: 'xdp', program: label, target, linkFd: fd });
}
