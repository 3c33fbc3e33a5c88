import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { formatInetAddress } from '../../examples/shared/inet-address.js';
import { requireTool } from '../helpers/privileges.js';
import { fuzzSeed, Prng } from '../helpers/prng.js';

const AF_INET = 2;
const AF_INET6 = 10;
const PYTHON = '/usr/bin/python3';

function v6(text: string): Uint8Array {
  const out = new Uint8Array(16);
  const [head = '', tail] = text.split('::');
  const groups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

describe('examples/shared: formatInetAddress', () => {
  it('prints IPv4 as a dotted quad and IPv6 as inet_ntop does', () => {
    expect(formatInetAddress(AF_INET, Uint8Array.of(127, 0, 0, 1, 9, 9))).to.equal('127.0.0.1');
    const cases: [string, string][] = [
      ['0:0:0:0:0:0:0:1', '::1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['0:0:0:0:0:ffff:7f00:1', '::ffff:127.0.0.1'],
      // Two equal zero runs: the first is compressed (RFC 5952 4.2.3).
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      // A single zero group is not compressed (RFC 5952 4.2.2).
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['fe80:0:0:0:0:0:0:abcd', 'fe80::abcd'],
      // IPv4-compatible (deprecated): inet_ntop still prints the dotted quad.
      ['0:0:0:0:0:0:c000:201', '::192.0.2.1'],
    ];
    for (const [full, text] of cases) expect(formatInetAddress(AF_INET6, v6(full)), full).to.equal(text);
  });

  it("agrees with the C library's inet_ntop on zero-heavy random addresses", function () {
    requireTool(this, PYTHON);
    const prng = new Prng(fuzzSeed(0x1ae7));
    const addresses: Uint8Array[] = [];
    for (let n = 0; n < 2000; n++) {
      const b = new Uint8Array(16);
      for (let g = 0; g < 8; g++) {
        const v = prng.pick([0, 0, 0, 0, 1, 0xffff, prng.below(0x10000)]);
        b[g * 2] = v >> 8;
        b[g * 2 + 1] = v & 0xff;
      }
      addresses.push(b);
    }
    const hex = addresses.map((b) => Buffer.from(b).toString('hex')).join('\n');
    const script = 'import socket,sys\nfor l in sys.stdin.read().split():\n  print(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(l)))';
    const theirs = execFileSync(PYTHON, ['-c', script], { input: hex, encoding: 'utf8' }).trim().split('\n');
    expect(addresses.map((b) => formatInetAddress(AF_INET6, b))).to.deep.equal(theirs);
  });
});
