/**
 * `net { show | list } [dev NAME]`: the networking attachments of this network namespace, laid
 * out as bpftool (7.3+, which added tcx and netfilter to 7.1's xdp/tc/flow_dissector):
 * - xdp: `IFLA_XDP` of every device from an `RTM_GETLINK` dump (driver, generic, offload, multi);
 * - tc: per device, tcx programs (`BPF_PROG_QUERY` on the ifindex, with their links), then
 *   classic `cls_bpf` filters (`RTM_GETTFILTER` under every qdisc and class, root, and clsact's
 *   ingress and egress);
 * - flow_dissector: `BPF_PROG_QUERY` on this netns;
 * - netfilter: every netfilter link (they are global), sorted by family, hook and priority.
 */
import { closeSync, openSync } from 'node:fs';
import { SysError } from '../sys/errors.js';
import { getFdById } from '../sys/ids.js';
import { getLinkInfo, getProgInfo, type LinkDetails } from '../sys/info.js';
import { netlinkString, netlinkUint, parseNetlinkAttributes, RtmType, rtnetlinkDump, NetlinkError } from '../sys/netlink.js';
import { progQuery } from '../sys/prog-query.js';
import { strerror } from '../sys/strerror.js';
import { AttachType } from '../sys/uapi.js';
import { CliError, type CliContext } from './context.js';
import { isKeyword } from './grammar.js';
import { JsonWriter } from './json-writer.js';
import { netfilterPlain } from './link-show.js';
import { forEachObject } from './object-handle.js';
import { permissionAware } from './permission.js';
import { progFullName } from './prog-name.js';

const HELP = `Usage: bpf-ts net { show | list } [dev <devname>]
       bpf-ts net help

       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }

Note: xdp, tcx, tc, flow_dissector and netfilter attachments are listed.
      For progs attached to cgroups, use "bpf-ts cgroup"
      to dump program attachments. For program types
      sk_{filter,skb,msg,reuseport} and lwt/seg6, please
      consult iproute2.
`;

const AF_PACKET = 17;
const AF_UNSPEC = 0;
const IFLA_IFNAME = 3;
const IFLA_XDP = 43;
const IFLA_XDP_ATTACHED = 2;
const IFLA_XDP_PROG_ID = 4;
const IFLA_XDP_DRV_PROG_ID = 5;
const IFLA_XDP_SKB_PROG_ID = 6;
const IFLA_XDP_HW_PROG_ID = 7;
const XDP_ATTACHED = { NONE: 0, DRV: 1, SKB: 2, HW: 3, MULTI: 4 } as const;
const TCA_KIND = 1;
const TCA_OPTIONS = 2;
const TCA_BPF_ACT = 1;
const TCA_BPF_NAME = 7;
const TCA_BPF_ID = 11;
const TCA_ACT_KIND = 1;
const TCA_ACT_OPTIONS = 2;
const TCA_ACT_MAX_PRIO = 32;
const TCA_ACT_BPF_PARMS = 2;
const TCA_ACT_BPF_NAME = 6;
const TCA_ACT_BPF_ID = 9;
const TC_H_ROOT = 0xffffffff;
const TC_H_CLSACT_INGRESS = 0xfffffff2;
const TC_H_CLSACT_EGRESS = 0xfffffff3;

/** bpftool's NET_* macros: the same calls write plain text or JSON. */
class NetPrinter {
  readonly json: JsonWriter | undefined;
  text = '';
  constructor(ctx: CliContext) {
    this.json = ctx.json ? new JsonWriter(ctx.pretty) : undefined;
  }
  startObject(): void {
    this.json?.startObject();
  }
  endObject(): void {
    this.json?.endObject();
  }
  endObjectFinal(): void {
    if (this.json !== undefined) this.json.endObject();
    else this.text += '\n';
  }
  startArray(name: string, fmt: (n: string) => string): void {
    if (this.json !== undefined) this.json.name(name).startArray();
    else this.text += fmt(name);
  }
  endArray(end: string): void {
    if (this.json !== undefined) this.json.endArray();
    else this.text += end;
  }
  uint(name: string, plain: (v: number) => string, v: number): void {
    if (this.json !== undefined) this.json.uintField(name, v);
    else this.text += plain(v);
  }
  str(name: string, plain: (v: string) => string, v: string): void {
    if (this.json !== undefined) this.json.stringField(name, v);
    else this.text += plain(v);
  }
}

interface Device {
  readonly ifindex: number;
  readonly name: string;
}

function ifinfoHeader(): Uint8Array {
  const h = new Uint8Array(16);
  h[0] = AF_PACKET;
  return h;
}

function tcmsgHeader(ifindex: number, parent = 0): Uint8Array {
  const h = new Uint8Array(20);
  const v = new DataView(h.buffer);
  h[0] = AF_UNSPEC;
  v.setInt32(4, ifindex, true);
  v.setUint32(12, parent, true);
  return h;
}

/** `do_xdp_dump_one`. */
function printXdp(p: NetPrinter, dev: Device, xdpAttr: Uint8Array): void {
  const tb = parseNetlinkAttributes(xdpAttr);
  const mode = netlinkUint(tb.get(IFLA_XDP_ATTACHED));
  if (mode === undefined || mode === XDP_ATTACHED.NONE) return;
  const progId = (attr: number, name: string, own: boolean): void => {
    const id = netlinkUint(tb.get(attr));
    if (id === undefined) return;
    if (own) p.startObject();
    p.str('mode', (s) => ` ${s}`, name);
    p.uint('id', (v) => ` id ${v}`, id);
    if (own) p.endObject();
  };
  p.startObject();
  p.str('devname', (s) => s, dev.name);
  p.uint('ifindex', (v) => `(${v})`, dev.ifindex);
  if (mode === XDP_ATTACHED.MULTI) {
    p.json?.name('multi_attachments').startArray();
    progId(IFLA_XDP_SKB_PROG_ID, 'generic', true);
    progId(IFLA_XDP_DRV_PROG_ID, 'driver', true);
    progId(IFLA_XDP_HW_PROG_ID, 'offload', true);
    p.json?.endArray();
  } else if (mode === XDP_ATTACHED.DRV) progId(IFLA_XDP_PROG_ID, 'driver', false);
  else if (mode === XDP_ATTACHED.SKB) progId(IFLA_XDP_PROG_ID, 'generic', false);
  else if (mode === XDP_ATTACHED.HW) progId(IFLA_XDP_PROG_ID, 'offload', false);
  p.endObjectFinal();
}

/** The program's full name, or undefined when it has none or is gone (bpftool then omits it). */
function progName(id: number): string | undefined {
  try {
    using fd = getFdById('prog', id);
    const info = getProgInfo(fd);
    return info.name === '' ? undefined : progFullName(info, fd);
  } catch {
    return undefined;
  }
}

/** bpftool's `__show_dev_tc_bpf` for tcx ingress/egress (and netkit, which share the query). */
function printTcx(p: NetPrinter, dev: Device): void {
  for (const [loc, kind] of [
    [AttachType.TCX_INGRESS, 'tcx/ingress'],
    [AttachType.TCX_EGRESS, 'tcx/egress'],
    [AttachType.NETKIT_PRIMARY, 'netkit/primary'],
    [AttachType.NETKIT_PEER, 'netkit/peer'],
  ] as const) {
    let r;
    try {
      r = progQuery(dev.ifindex, loc, { perProgramFlags: true, links: true });
    } catch {
      continue;
    }
    r.progIds.forEach((id, i) => {
      p.startObject();
      p.str('devname', (s) => s, dev.name);
      p.uint('ifindex', (v) => `(${v})`, dev.ifindex);
      p.str('kind', (s) => ` ${s}`, kind);
      const name = progName(id);
      if (name !== undefined) p.str('name', (s) => ` ${s}`, name);
      p.uint('prog_id', (v) => ` prog_id ${v} `, id);
      const flagBits = (name: string, flags: number): void => {
        p.startArray(name, (n) => `${n} `);
        for (let j = 0; j < 32; j++) {
          if ((flags & (1 << j)) === 0) continue;
          const bit = (1 << j) >>> 0;
          if (p.json !== undefined) p.json.uint(bit);
          else p.text += `${bit} `;
        }
        p.endArray('');
      };
      const progFlags = r.progAttachFlags[i] ?? 0;
      if (progFlags !== 0 || p.json !== undefined) flagBits('prog_flags', progFlags);
      const linkId = r.linkIds[i] ?? 0;
      if (linkId !== 0 || p.json !== undefined) {
        p.uint('link_id', (v) => `link_id ${v} `, linkId);
        const linkFlags = r.linkAttachFlags[i] ?? 0;
        if (linkFlags !== 0 || p.json !== undefined) flagBits('link_flags', linkFlags);
      }
      p.endObjectFinal();
    });
  }
}

/** `do_bpf_act_dump`: the `bpf` actions of a filter. */
function printActions(p: NetPrinter, actAttr: Uint8Array): void {
  const tb = parseNetlinkAttributes(actAttr);
  p.startArray('act', (n) => ` ${n} [`);
  for (let prio = 0; prio <= TCA_ACT_MAX_PRIO; prio++) {
    const one = tb.get(prio);
    if (one === undefined) continue;
    const act = parseNetlinkAttributes(one);
    if (netlinkString(act.get(TCA_ACT_KIND)) !== 'bpf') continue;
    const opts = act.get(TCA_ACT_OPTIONS);
    if (opts === undefined) continue;
    const b = parseNetlinkAttributes(opts);
    if (!b.has(TCA_ACT_BPF_PARMS)) continue;
    if (p.json !== undefined) p.json.startObject();
    else p.text += '{';
    const name = netlinkString(b.get(TCA_ACT_BPF_NAME));
    if (name !== undefined) p.str('name', (s) => s, name);
    const id = netlinkUint(b.get(TCA_ACT_BPF_ID));
    if (id !== undefined) p.uint('id', (v) => ` id ${v}`, id);
    if (p.json !== undefined) p.json.endObject();
    else p.text += '}';
  }
  p.endArray('] ');
}

/** `do_filter_dump` for every `cls_bpf` filter under `parent`. */
function printFilters(p: NetPrinter, dev: Device, parent: number, kind: string): void {
  for (const msg of rtnetlinkDump(RtmType.GETTFILTER, tcmsgHeader(dev.ifindex, parent))) {
    const tb = parseNetlinkAttributes(msg.payload.subarray(20));
    const options = tb.get(TCA_OPTIONS);
    if (options === undefined || netlinkString(tb.get(TCA_KIND)) !== 'bpf') continue;
    p.startObject();
    if (dev.name !== '') p.str('devname', (s) => s, dev.name);
    p.uint('ifindex', (v) => `(${v})`, dev.ifindex);
    p.str('kind', (s) => ` ${s}`, kind);
    const b = parseNetlinkAttributes(options);
    const name = netlinkString(b.get(TCA_BPF_NAME));
    if (name !== undefined) p.str('name', (s) => ` ${s}`, name);
    const id = netlinkUint(b.get(TCA_BPF_ID));
    if (id !== undefined) p.uint('id', (v) => ` id ${v}`, id);
    const act = b.get(TCA_BPF_ACT);
    if (act !== undefined) printActions(p, act);
    p.endObjectFinal();
  }
}

/** `show_dev_tc_bpf_classic`: filters under each class and qdisc, then root and clsact. */
function printClassicTc(p: NetPrinter, dev: Device): void {
  const parents: Array<{ handle: number; kind: string }> = [];
  for (const [type, isQdisc] of [
    [RtmType.GETTCLASS, false],
    [RtmType.GETQDISC, true],
  ] as const) {
    for (const msg of rtnetlinkDump(type, tcmsgHeader(dev.ifindex))) {
      const handle = new DataView(msg.payload.buffer, msg.payload.byteOffset).getUint32(8, true);
      const kind = netlinkString(parseNetlinkAttributes(msg.payload.subarray(20)).get(TCA_KIND));
      if (isQdisc && (kind === 'clsact' || handle === 0)) continue;
      parents.push({ handle, kind: kind ?? 'unknown' });
    }
  }
  for (const q of parents) printFilters(p, dev, q.handle, q.kind);
  printFilters(p, dev, TC_H_ROOT, 'root');
  printFilters(p, dev, TC_H_CLSACT_INGRESS, 'clsact/ingress');
  printFilters(p, dev, TC_H_CLSACT_EGRESS, 'clsact/egress');
}

/** `query_flow_dissector`: the program attached to this netns, if any. */
function flowDissectorId(): number {
  const fd = openSync('/proc/self/ns/net', 'r');
  try {
    const r = progQuery(fd, AttachType.FLOW_DISSECTOR);
    return r.progIds.length === 1 ? (r.progIds[0] as number) : 0;
  } catch (e) {
    // Kernels before 5.x cannot query it: bpftool shows none.
    if (e instanceof SysError && e.code === 'EINVAL') return 0;
    throw permissionAware(`can't query prog: ${e instanceof SysError ? strerror(e.errno) : String(e)}`, e, 'querying attached programs needs CAP_NET_ADMIN');
  } finally {
    closeSync(fd);
  }
}

type NetfilterLink = Extract<LinkDetails, { kind: 'netfilter' }> & { progId: number };

/** `show_link_netfilter`: every netfilter link, sorted as bpftool sorts them. */
function netfilterLinks(): NetfilterLink[] {
  const out: NetfilterLink[] = [];
  forEachObject('link', "can't get next link", (id) => `can't get link by id (${id})`, (fd) => {
    let info;
    try {
      info = getLinkInfo(fd);
    } catch {
      return;
    }
    if (info.details.kind === 'netfilter') out.push({ ...info.details, progId: info.progId });
  });
  return out.sort((a, b) => a.pf - b.pf || a.hooknum - b.hooknum || a.priority - b.priority || a.flags - b.flags);
}

/**
 * `net show [dev NAME]`.
 *
 * @example
 * ```ts
 * await netShow(['dev', 'eth0'], ctx);
 * ```
 */
export async function netShow(args: readonly string[], ctx: CliContext): Promise<number> {
  let filterName: string | undefined;
  if (args.length === 2) {
    if (!isKeyword(args[0], 'dev')) throw new CliError(`expected 'dev', got: '${args[0] ?? ''}'?`);
    filterName = args[1] as string;
  } else if (args.length !== 0) {
    throw new CliError(`expected 'dev NAME', got: '${args.join(' ')}'`);
  }
  const devices: Device[] = [];
  const xdpAttrs = new Map<number, Uint8Array>();
  try {
    for (const msg of rtnetlinkDump(RtmType.GETLINK, ifinfoHeader())) {
      const ifindex = new DataView(msg.payload.buffer, msg.payload.byteOffset).getInt32(4, true);
      const tb = parseNetlinkAttributes(msg.payload.subarray(16));
      devices.push({ ifindex, name: netlinkString(tb.get(IFLA_IFNAME)) ?? '' });
      const xdp = tb.get(IFLA_XDP);
      if (xdp !== undefined) xdpAttrs.set(ifindex, xdp);
    }
  } catch (e) {
    throw netError(e);
  }
  let shown = devices;
  if (filterName !== undefined) {
    shown = devices.filter((d) => d.name === filterName);
    if (shown.length === 0) throw new CliError(`invalid devname ${filterName}`);
  }
  const fdId = flowDissectorId();
  const p = new NetPrinter(ctx);
  p.json?.startArray();
  p.startObject();
  p.startArray('xdp', (n) => `${n}:\n`);
  for (const dev of shown) {
    const xdp = xdpAttrs.get(dev.ifindex);
    if (xdp !== undefined) printXdp(p, dev, xdp);
  }
  p.endArray('\n');
  p.startArray('tc', (n) => `${n}:\n`);
  try {
    for (const dev of shown) {
      printTcx(p, dev);
      printClassicTc(p, dev);
    }
  } catch (e) {
    throw netError(e);
  }
  p.endArray('\n');
  p.startArray('flow_dissector', (n) => `${n}:\n`);
  if (fdId > 0) {
    // bpftool writes `"flow_dissector":["id":N]` here, which no JSON parser accepts; ours is an object.
    if (p.json !== undefined) p.json.startObject().uintField('id', fdId).endObject();
    else p.text += `id ${fdId}`;
  }
  p.endArray('\n');
  p.startArray('netfilter', (n) => `${n}:\n`);
  for (const nf of netfilterLinks()) {
    p.startObject();
    if (p.json !== undefined) p.json.uintField('pf', nf.pf).uintField('hook', nf.hooknum).name('prio').raw(String(nf.priority)).uintField('flags', nf.flags);
    else p.text += netfilterPlain(nf);
    p.uint('id', (v) => ` prog_id ${v}`, nf.progId);
    p.endObject();
  }
  p.endArray('\n');
  p.endObject();
  if (p.json !== undefined) ctx.out(p.json.endArray().finish());
  else ctx.out(p.text);
  return 0;
}

function netError(e: unknown): CliError {
  if (e instanceof NetlinkError) return new CliError(strerror(e.errno), 255, { cause: e });
  if (e instanceof SysError) return permissionAware(`netlink: ${strerror(e.errno)}`, e, 'netlink dumps need CAP_NET_ADMIN');
  if (e instanceof CliError) return e;
  return new CliError((e as Error).message, 255, { cause: e });
}

/** `bpf-ts net ...`. */
export async function runNet(args: readonly string[], ctx: CliContext): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === undefined || isKeyword(verb, 'show') || isKeyword(verb, 'list')) return netShow(rest, ctx);
  if (isKeyword(verb, 'help')) {
    ctx.out(HELP);
    return 0;
  }
  throw new CliError(`unknown command '${verb}' for 'net', see 'bpf-ts net help'`);
}
