/**
 * tcpconnect: prints every active TCP connection attempt (connect(2)) as it starts, like bcc's
 * tcpconnect (`PID COMM IP SADDR DADDR DPORT`), from the sock:inet_sock_set_state tracepoint.
 *
 *   node dist/examples/tcpconnect/main.js [-U] [-p PID] [-P PORT[,PORT...]]
 */
import { attachObject, createBtfCodec, loadObject, loadObjectSpec, RingBufferReader } from '../../src/index.js';
import { parseToolArgs, positiveInt, UsageError } from '../shared/command-line.js';
import { formatInetAddress } from '../shared/inet-address.js';
import { exampleObject, runTool } from '../shared/run-tool.js';

const USAGE = `Usage: tcpconnect [-h] [-U] [-p PID] [-P PORT[,PORT...]]

Traces active TCP connections (connect()).

  -U, --print-uid      include the UID on output
  -p, --pid PID        only this process
  -P, --port PORTS     only these destination ports (comma-separated, at most 64)
  -h, --help           show this help`;

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

interface Options {
  printUid: boolean;
  pid: number | undefined;
  ports: number[];
}

function parseOptions(): Options {
  const { values } = parseToolArgs(USAGE, {
    options: {
      'print-uid': { type: 'boolean', short: 'U', default: false },
      pid: { type: 'string', short: 'p' },
      port: { type: 'string', short: 'P' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const pid = positiveInt('PID', values.pid);
  const ports = values.port === undefined ? [] : values.port.split(',').map((p) => {
    const n = Number(p);
    if (p === '' || !Number.isInteger(n) || n <= 0 || n > 65535) throw new UsageError(`invalid port: ${p}`);
    return n;
  });
  if (ports.length > MAX_PORTS) throw new UsageError(`at most ${MAX_PORTS} ports`);
  return { printUid: values['print-uid'], pid, ports };
}

/** libbpf-tools' `%-6d %-12.12s %-2d %-16s %-16s %-4d`, after `%-6d` of the UID with -U. */
function formatEvent(e: ConnectEvent, printUid: boolean): string {
  const end = e.comm.indexOf(0);
  const comm = Buffer.from(e.comm.subarray(0, end < 0 ? e.comm.length : end)).toString('latin1').slice(0, 12);
  const uid = printUid ? String(e.uid).padEnd(6) : '';
  return `${uid}${String(e.pid).padEnd(6)} ${comm.padEnd(12)} ${String(e.family === AF_INET ? 4 : 6).padEnd(2)} ${formatInetAddress(e.family, e.saddr).padEnd(16)} ${formatInetAddress(e.family, e.daddr).padEnd(16)} ${e.dport}`;
}

runTool('tcpconnect', USAGE, async (stop) => {
  const options = parseOptions();
  const spec = await loadObjectSpec(exampleObject('tcpconnect'));
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
  for await (const e of reader.decoded(codec, { signal: stop.signal })) console.log(formatEvent(e, options.printUid));
});
