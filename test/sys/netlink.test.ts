/**
 * src/sys/netlink.ts: attribute parsing (pure), and an rtnetlink dump of this netns' links
 * against /sys/class/net, and the kernel's NLMSG_ERROR as a NetlinkError.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { netlinkString, netlinkUint, NetlinkError, parseNetlinkAttributes, RtmType, rtnetlinkDump } from '../../src/sys/index.js';
import { requirePrivileges } from '../helpers/privileges.js';

/** One nlattr: u16 len, u16 type, payload, padded to 4. */
function nla(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array((4 + payload.length + 3) & ~3);
  const v = new DataView(out.buffer);
  v.setUint16(0, 4 + payload.length, true);
  v.setUint16(2, type, true);
  out.set(payload, 4);
  return out;
}

describe('sys: netlink', function () {
  it('parses attributes: nested flag masked, padding skipped, first of a repeated type kept, a truncated tail ignored', function () {
    const name = nla(3, new TextEncoder().encode('eth0\0'));
    const nested = nla(43 | 0x8000, nla(2, Uint8Array.of(2)));
    const again = nla(3, new TextEncoder().encode('other\0'));
    const bytes = new Uint8Array([...name, ...nested, ...again, 9, 0, 1]);
    const tb = parseNetlinkAttributes(bytes);
    expect(netlinkString(tb.get(3))).to.equal('eth0');
    expect(netlinkUint(parseNetlinkAttributes(tb.get(43) as Uint8Array).get(2))).to.equal(2);
    expect([...tb.keys()]).to.deep.equal([3, 43]);
  });

  it('RTM_GETLINK lists the devices /sys/class/net shows, with their ifindex', function () {
    requirePrivileges(this);
    const sysfs = readdirSync('/sys/class/net').map((n) => `${n}:${readFileSync(`/sys/class/net/${n}/ifindex`, 'utf8').trim()}`);
    const dumped = rtnetlinkDump(RtmType.GETLINK, Uint8Array.of(17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).map((m) => {
      const ifindex = new DataView(m.payload.buffer, m.payload.byteOffset).getInt32(4, true);
      return `${netlinkString(parseNetlinkAttributes(m.payload.subarray(16)).get(3))}:${ifindex}`;
    });
    // Another test may remove a device meanwhile: compare the ones still there.
    const still = sysfs.filter((e) => existsSync(`/sys/class/net/${e.split(':')[0]}`));
    expect(still.length).to.be.greaterThan(0);
    expect(dumped).to.include.members(still);
  });

  it('a request the kernel refuses is a NetlinkError with its errno', function () {
    requirePrivileges(this);
    let caught: unknown;
    try {
      rtnetlinkDump(0x3ff, new Uint8Array(16));
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(NetlinkError);
    expect((caught as NetlinkError).errno).to.equal(95);
    expect((caught as NetlinkError).message).to.equal('netlink request 1023 failed (errno 95)');
  });
});
