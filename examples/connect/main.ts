/**
 * connect: prints the process name and destination of every IPv4/IPv6 connect(2) on the system.
 *
 *   node dist/examples/connect/main.js
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { attachObject, createBtfCodec, loadObject, loadObjectSpec, RingBufferReader } from '../../src/index.js';

const USAGE = `Usage: connect

Prints ">> [COMM]: connect 'ADDRESS:PORT'" for every IPv4 and IPv6 connect(2) on the system
(IPv6 addresses in brackets, ports in host order).

  -h, --help   show this help`;

/** `struct connect_event` of connect.bpf.c, as the object's BTF decodes it. */
interface ConnectEvent {
  comm: string;
  pid: number;
  family: number;
  port: number;
  addr: Uint8Array;
}

const AF_INET = 2;
const OBJECT = fileURLToPath(new URL('../../../examples/connect/connect.bpf.o', import.meta.url));

/** RFC 5952 text of an IPv6 address: lower-case hex, the longest run of 2+ zero groups as `::`. */
function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  // IPv4-mapped (::ffff:a.b.c.d) keeps the dotted quad, as inet_ntop prints it.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${[...bytes.subarray(12, 16)].join('.')}`;
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

function formatDestination(e: ConnectEvent): string {
  if (e.family === AF_INET) return `${[...e.addr.subarray(0, 4)].join('.')}:${e.port}`;
  return `[${formatIpv6(e.addr)}]:${e.port}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

  const spec = await loadObjectSpec(OBJECT);
  using obj = await loadObject(spec);
  using _links = attachObject(obj);
  using reader = RingBufferReader.open(obj.map('events')!);
  const [eventType] = spec.btf!.findByName('connect_event', 'STRUCT');
  const codec = createBtfCodec<ConnectEvent>(spec.btf!, eventType!);

  console.log('Tracing connect(2)... Hit Ctrl-C to end.');
  const bytes = new Uint8Array(reader.view.buffer, reader.view.byteOffset, reader.view.byteLength);
  try {
    await reader.run(
      (_view, offset) => {
        const e = codec.decode(bytes, offset);
        console.log(`>> [${e.comm}]: connect '${formatDestination(e)}'`);
      },
      { signal: stop.signal },
    );
  } catch (e) {
    if (!stop.signal.aborted) throw e;
  }
}

main().catch((e: unknown) => {
  const usage = (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
  console.error(`connect: ${e instanceof Error ? e.message : String(e)}${usage ? `\n${USAGE}` : ''}`);
  process.exit(usage ? 2 : 1);
});
