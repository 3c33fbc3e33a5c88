/**
 * tcpconnect: prints every active TCP connection attempt (connect(2)) as it starts, like bcc's
 * tcpconnect (`PID COMM IP SADDR DADDR DPORT`), from the sock:inet_sock_set_state tracepoint.
 *
 *   node dist/examples/tcpconnect/main.js [-U] [-p PID] [-P PORT[,PORT...]]
 */
import { SocketAddress } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { attachObject, createBtfCodec, loadObject, loadObjectSpec, RingBufferReader } from '../../src/index.js';

const USAGE = `Usage: tcpconnect [-h] [-U] [-p PID] [-P PORT[,PORT...]]

Traces active TCP connections (connect()).

  -U, --print-uid      include the UID on output
  -p, --pid PID        only this process
  -P, --port PORTS     only these destination ports (comma-separated, at most 64)
  -h, --help           show this help`;

const OBJECT = fileURLToPath(new URL('../../../examples/tcpconnect/tcpconnect.bpf.o', import.meta.url));
const AF_INET = 2;
/** `MAX_PORTS` of tcpconnect.bpf.c. */
const MAX_PORTS = 64;

/** `struct event` of tcpconnect.bpf.c, as the object's BTF decodes it (`bytes` for the addresses). */
interface ConnectEvent {
  saddr: Uint8Array;
  daddr: Uint8Array;
  pid: number;
  uid: number;
  family: number;
  dport: number;
  comm: Uint8Array;
}

class UsageError extends Error {}

interface Options {
  printUid: boolean;
  pid: number | undefined;
  ports: number[];
}

function parseOptions(): Options {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'print-uid': { type: 'boolean', short: 'U', default: false },
        pid: { type: 'string', short: 'p' },
        port: { type: 'string', short: 'P' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  let pid: number | undefined;
  if (values.pid !== undefined) {
    pid = Number(values.pid);
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new UsageError(`invalid PID: ${values.pid}`);
  }
  const ports = values.port === undefined ? [] : values.port.split(',').map((p) => {
    const n = Number(p);
    if (p === '' || !Number.isInteger(n) || n <= 0 || n > 65535) throw new UsageError(`invalid port: ${p}`);
    return n;
  });
  if (ports.length > MAX_PORTS) throw new UsageError(`at most ${MAX_PORTS} ports`);
  return { printUid: values['print-uid'], pid, ports };
}

/** `inet_ntop()`'s text of an address (Node's `SocketAddress` formats through libuv's). */
function formatAddress(family: number, bytes: Uint8Array): string {
  if (family === AF_INET) return [...bytes.subarray(0, 4)].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

/** libbpf-tools' `%-6d %-12.12s %-2d %-16s %-16s %-4d`, after `%-6d` of the UID with -U. */
function formatEvent(e: ConnectEvent, printUid: boolean): string {
  const end = e.comm.indexOf(0);
  const comm = Buffer.from(e.comm.subarray(0, end < 0 ? e.comm.length : end)).toString('latin1').slice(0, 12);
  const uid = printUid ? String(e.uid).padEnd(6) : '';
  return `${uid}${String(e.pid).padEnd(6)} ${comm.padEnd(12)} ${String(e.family === AF_INET ? 4 : 6).padEnd(2)} ${formatAddress(e.family, e.saddr).padEnd(16)} ${formatAddress(e.family, e.daddr).padEnd(16)} ${e.dport}`;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const stop = new AbortController();
  // Handlers stay installed: a second signal (`timeout` signals the child and its group) must not kill the cleanup.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stop.abort());

  const spec = await loadObjectSpec(OBJECT);
  if (options.pid !== undefined) spec.variables.get('targ_tgid')!.set(options.pid);
  if (options.ports.length > 0) {
    const ports = new Uint8Array(MAX_PORTS * 2);
    const view = new DataView(ports.buffer);
    options.ports.forEach((p, i) => view.setUint16(i * 2, p, true));
    spec.variables.get('targ_ports')!.setBytes(ports);
    spec.variables.get('targ_nports')!.set(options.ports.length);
  }
  using obj = await loadObject(spec);
  using _links = attachObject(obj);
  using reader = RingBufferReader.open(obj.map('events')!);
  const [eventType] = spec.btf!.findByName('event', 'STRUCT');
  const codec = createBtfCodec<ConnectEvent>(spec.btf!, eventType!, { charArrays: 'bytes' });

  console.log(`${options.printUid ? 'UID'.padEnd(6) : ''}${'PID'.padEnd(6)} ${'COMM'.padEnd(12)} ${'IP'.padEnd(2)} ${'SADDR'.padEnd(16)} ${'DADDR'.padEnd(16)} DPORT`);
  try {
    for await (const e of reader.decoded(codec, { signal: stop.signal })) console.log(formatEvent(e, options.printUid));
  } catch (e) {
    if (!stop.signal.aborted) throw e;
  }
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`tcpconnect: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(`tcpconnect: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
