import { execFileSync } from 'node:child_process';

/**
 * A veth pair: `host` in this network namespace (10.231.N.1/24) and its peer inside a new
 * namespace `ns` (10.231.N.2/24). `remove()` deletes the namespace, which deletes the pair.
 */
export interface VethPair {
  readonly ns: string;
  readonly host: string;
  readonly hostIp: string;
  readonly peerIp: string;
  /** Sends `n` UDP datagrams from inside the namespace to `hostIp:port`. */
  sendFromPeer(n: number, port?: number): void;
  remove(): void;
}

export function createVethPair(): VethPair {
  const id = process.pid % 10000;
  const ns = `bpfts-links-${process.pid}`;
  const host = `bpfts${id}h`;
  const peer = `bpfts${id}p`;
  const subnet = `10.231.${process.pid % 250}`;
  const ip = (...args: string[]): void => {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  ip('netns', 'add', ns);
  try {
    ip('link', 'add', host, 'type', 'veth', 'peer', 'name', peer);
    ip('link', 'set', peer, 'netns', ns);
    ip('addr', 'add', `${subnet}.1/24`, 'dev', host);
    ip('link', 'set', host, 'up');
    ip('-n', ns, 'addr', 'add', `${subnet}.2/24`, 'dev', peer);
    ip('-n', ns, 'link', 'set', peer, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  } catch (e) {
    try {
      ip('link', 'del', host);
    } catch {
      // Not created.
    }
    ip('netns', 'del', ns);
    throw e;
  }
  const hostIp = `${subnet}.1`;
  return {
    ns,
    host,
    hostIp,
    peerIp: `${subnet}.2`,
    sendFromPeer(n, port = 9) {
      const script = `const s=require('dgram').createSocket('udp4');let i=0;const f=()=>{if(i++>=${n})return s.close();s.send('x',${port},'${hostIp}',f)};f();`;
      execFileSync('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: 'ignore' });
    },
    remove() {
      ip('netns', 'del', ns);
    },
  };
}
