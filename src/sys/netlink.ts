/**
 * rtnetlink dumps (`NLM_F_DUMP` requests on a `NETLINK_ROUTE` socket) and netlink attribute
 * parsing: what `bpf-ts net show` needs to list XDP programs (`RTM_GETLINK`, `IFLA_XDP`) and
 * classic tc filters (`RTM_GETQDISC`, `RTM_GETTCLASS`, `RTM_GETTFILTER`), as bpftool does; and
 * acknowledged requests (`RTM_NEWQDISC`, `RTM_NEWTFILTER`, ...) for classic tc attachments.
 */
import { BpfTsError } from '../errors/index.js';
import { OwnedFd } from './fd.js';
import { native } from './native.js';
import { toSysError } from './errors.js';

/** rtnetlink message types used here. */
export const RtmType = {
  GETLINK: 18,
  NEWQDISC: 36,
  DELQDISC: 37,
  GETQDISC: 38,
  GETTCLASS: 42,
  NEWTFILTER: 44,
  DELTFILTER: 45,
  GETTFILTER: 46,
} as const;

/** `NLM_F_*` request flags of {@link rtnetlinkRequest}. */
export const NetlinkFlag = {
  /** Echo the created object back (its kernel-chosen handle, priority, ...). */
  ECHO: 0x8,
  /** `NLM_F_REPLACE`: replace an existing object. */
  REPLACE: 0x100,
  /** `NLM_F_EXCL`: fail with `EEXIST` when the object exists. */
  EXCL: 0x200,
  /** `NLM_F_CREATE`: create the object when missing. */
  CREATE: 0x400,
} as const;

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_DUMP = 0x300;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLMSG_HDRLEN = 16;
const NLA_TYPE_MASK = 0x3fff;

/** A failed netlink request: the kernel's `NLMSG_ERROR` errno, or a malformed answer. */
export class NetlinkError extends BpfTsError {
  constructor(
    message: string,
    /** The errno the kernel answered with (0 for a malformed answer). */
    readonly errno: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** One message of a dump answer: its type and the bytes after the netlink header. */
export interface NetlinkMessage {
  readonly type: number;
  readonly payload: Uint8Array;
}

const align4 = (n: number): number => (n + 3) & ~3;

/**
 * Netlink attributes (`struct nlattr` runs) by type, the nested/byte-order flag bits removed; the
 * first of repeated types wins.
 *
 * @example
 * ```ts
 * const attrs = parseNetlinkAttributes(msg.payload.subarray(16)); // after struct ifinfomsg
 * const name = attrs.get(3); // IFLA_IFNAME
 * ```
 */
export function parseNetlinkAttributes(bytes: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at + 4 <= bytes.byteLength; ) {
    const len = v.getUint16(at, true);
    const type = v.getUint16(at + 2, true) & NLA_TYPE_MASK;
    if (len < 4 || at + len > bytes.byteLength) break;
    if (!out.has(type)) out.set(type, bytes.subarray(at + 4, at + len));
    at += align4(len);
  }
  return out;
}

/** A NUL-terminated string attribute. */
export function netlinkString(attr: Uint8Array | undefined): string | undefined {
  if (attr === undefined) return undefined;
  const end = attr.indexOf(0);
  return new TextDecoder().decode(end < 0 ? attr : attr.subarray(0, end));
}

/** A u32 (or shorter, for u8 attributes) little-endian attribute. */
export function netlinkUint(attr: Uint8Array | undefined): number | undefined {
  if (attr === undefined || attr.byteLength === 0) return undefined;
  const v = new DataView(attr.buffer, attr.byteOffset, attr.byteLength);
  return attr.byteLength >= 4 ? v.getUint32(0, true) : attr.byteLength >= 2 ? v.getUint16(0, true) : v.getUint8(0);
}

let sequence = Math.floor(Date.now() / 1000) >>> 0;

/**
 * One netlink attribute (`struct nlattr` header, payload, padding to 4 bytes); `payload` may be
 * a string (written NUL-terminated), a u32, bytes, or nested attributes.
 *
 * @example
 * ```ts
 * const kind = netlinkAttribute(1, 'clsact'); // TCA_KIND
 * const opts = netlinkAttribute(2, [netlinkAttribute(6, progFd)]); // TCA_OPTIONS { TCA_BPF_FD }
 * ```
 */
export function netlinkAttribute(type: number, payload: string | number | Uint8Array | readonly Uint8Array[]): Uint8Array {
  let body: Uint8Array;
  if (typeof payload === 'string') {
    const text = new TextEncoder().encode(payload);
    body = new Uint8Array(text.byteLength + 1);
    body.set(text);
  } else if (typeof payload === 'number') {
    body = new Uint8Array(4);
    new DataView(body.buffer).setUint32(0, payload >>> 0, true);
  } else if (payload instanceof Uint8Array) {
    body = payload;
  } else {
    body = concatBytes(payload);
  }
  const out = new Uint8Array(align4(4 + body.byteLength));
  const v = new DataView(out.buffer);
  v.setUint16(0, 4 + body.byteLength, true);
  // Nested payloads carry NLA_F_NESTED, as iproute2 and libbpf send them.
  v.setUint16(2, Array.isArray(payload) ? type | 0x8000 : type, true);
  out.set(body, 4);
  return out;
}

/** The bytes of `parts`, one after another (a netlink message is its header and attributes). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * Sends one rtnetlink dump request (`type` with the family header `header`, e.g. an `ifinfomsg`
 * or `tcmsg`) and collects every answer until `NLMSG_DONE`. Throws {@link NetlinkError} with
 * the kernel's errno on `NLMSG_ERROR`, `SysError` when the socket calls fail.
 *
 * @example
 * ```ts
 * const links = rtnetlinkDump(RtmType.GETLINK, new Uint8Array(16).fill(17, 0, 1)); // AF_PACKET
 * ```
 */
export function rtnetlinkDump(type: number, header: Uint8Array): NetlinkMessage[] {
  return transact(type, NLM_F_DUMP, header);
}

/**
 * Sends one acknowledged rtnetlink request (`type`, {@link NetlinkFlag} `flags`, the family
 * header and its attributes in `body`) and returns what the kernel echoed (with
 * `NetlinkFlag.ECHO`) before its acknowledgement. Throws {@link NetlinkError} with the errno
 * when the kernel refuses.
 *
 * @example
 * ```ts
 * rtnetlinkRequest(RtmType.NEWQDISC, NetlinkFlag.CREATE | NetlinkFlag.EXCL, concatenatedTcmsgAndAttrs);
 * ```
 */
export function rtnetlinkRequest(type: number, flags: number, body: Uint8Array): NetlinkMessage[] {
  return transact(type, NLM_F_ACK | flags, body);
}

function transact(type: number, flags: number, body: Uint8Array): NetlinkMessage[] {
  const sys = native();
  let raw: number;
  try {
    raw = sys.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  } catch (e) {
    throw toSysError(e, 'socket', 'socket(AF_NETLINK, NETLINK_ROUTE)');
  }
  using fd = new OwnedFd(raw, 'netlink socket');
  const seq = (sequence = (sequence + 1) >>> 0);
  const req = new Uint8Array(NLMSG_HDRLEN + align4(body.byteLength));
  const rv = new DataView(req.buffer);
  rv.setUint32(0, NLMSG_HDRLEN + body.byteLength, true);
  rv.setUint16(4, type, true);
  rv.setUint16(6, NLM_F_REQUEST | flags, true);
  rv.setUint32(8, seq, true);
  req.set(body, NLMSG_HDRLEN);
  try {
    sys.write(fd.fd, req.subarray(0, NLMSG_HDRLEN + body.byteLength));
  } catch (e) {
    throw toSysError(e, 'write', 'netlink request');
  }
  const acknowledged = (flags & NLM_F_ACK) !== 0;
  const out: NetlinkMessage[] = [];
  // Dump answers come a page or so at a time; 64 KiB never truncates one.
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = sys.read(fd.fd, buf);
    } catch (e) {
      throw toSysError(e, 'read', 'netlink answer');
    }
    if (n <= 0) return out;
    const v = new DataView(buf.buffer, 0, n);
    for (let at = 0; at + NLMSG_HDRLEN <= n; ) {
      const len = v.getUint32(at, true);
      const msgType = v.getUint16(at + 4, true);
      if (len < NLMSG_HDRLEN || at + len > n) throw new NetlinkError(`malformed netlink message (length ${len} at ${at} of ${n})`, 0);
      if (v.getUint32(at + 8, true) === seq) {
        if (msgType === NLMSG_DONE) return out;
        if (msgType === NLMSG_ERROR) {
          const err = -v.getInt32(at + NLMSG_HDRLEN, true);
          if (err !== 0) throw new NetlinkError(`netlink request ${type} failed (errno ${err})`, err);
          // An error message with errno 0 is the acknowledgement: the request is done.
          if (acknowledged) return out;
        } else {
          out.push({ type: msgType, payload: buf.slice(at + NLMSG_HDRLEN, at + len) });
        }
      }
      at += align4(len);
    }
  }
}
