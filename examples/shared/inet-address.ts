/** Text of IPv4/IPv6 addresses as the kernel's tools print them. */
import { SocketAddress } from 'node:net';

/** `AF_INET`; any other family is taken as `AF_INET6`. */
const AF_INET = 2;

/**
 * `inet_ntop()`'s text of the address in the first 4 (`AF_INET`) or 16 bytes of `bytes`
 * (network order): dotted quad, or RFC 5952 IPv6 (the first longest zero run as `::`,
 * `::ffff:a.b.c.d` for IPv4-mapped), formatted by libuv's `inet_ntop` through Node's `SocketAddress`.
 */
export function formatInetAddress(family: number, bytes: Uint8Array): string {
  if (family === AF_INET) return [...bytes.subarray(0, 4)].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}
