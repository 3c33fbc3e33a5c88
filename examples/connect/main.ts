/**
 * connect: prints the process name and destination of every IPv4/IPv6 connect(2) on the system.
 *
 *   node dist/examples/connect/main.js
 */
import { attachObject, createBtfCodec, loadObject, loadObjectSpec, RingBufferReader } from '../../src/index.js';
import { parseToolArgs } from '../shared/command-line.js';
import { formatInetAddress } from '../shared/inet-address.js';
import { exampleObject, runTool } from '../shared/run-tool.js';

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

function formatDestination(e: ConnectEvent): string {
  const address = formatInetAddress(e.family, e.addr);
  return e.family === AF_INET ? `${address}:${e.port}` : `[${address}]:${e.port}`;
}

runTool('connect', USAGE, async (stop) => {
  parseToolArgs(USAGE, { options: { help: { type: 'boolean', short: 'h', default: false } } });
  const spec = await loadObjectSpec(exampleObject('connect'));
  using obj = await loadObject(spec);
  using _links = attachObject(obj);
  using reader = RingBufferReader.open(obj.map('events')!);
  const [eventType] = spec.btf!.findByName('connect_event', 'STRUCT');
  const codec = createBtfCodec<ConnectEvent>(spec.btf!, eventType!);

  console.log('Tracing connect(2)... Hit Ctrl-C to end.');
  const bytes = new Uint8Array(reader.view.buffer, reader.view.byteOffset, reader.view.byteLength);
  await reader.run(
    (_view, offset) => {
      const e = codec.decode(bytes, offset);
      console.log(`>> [${e.comm}]: connect '${formatDestination(e)}'`);
    },
    { signal: stop.signal },
  );
});
