/**
 * xdpcount: counts the packets arriving on a network device by IP protocol with an XDP program
 * (every packet passes), and prints what arrived in each interval; totals on Ctrl-C.
 *
 *   node dist/examples/xdpcount/main.js -i IFACE [-S] [interval [count]]
 */
import { XdpFlag, attachXdp, loadObject } from '../../src/index.js';
import { parseToolArgs, positiveInt, UsageError } from '../shared/command-line.js';
import { exampleObject, runTool } from '../shared/run-tool.js';
import { timeOfDay } from '../shared/time-of-day.js';

const USAGE = `Usage: xdpcount [-h] -i IFACE [-S] [interval [count]]

Counts the packets arriving on a network device by IP protocol (XDP), and prints
those of each interval (seconds, default 1), count times or until Ctrl-C.

  -i, --interface IFACE   the device to attach to
  -S, --skb-mode          attach in generic (skb) mode instead of the driver's
  -h, --help              show this help`;

/** The array slot xdpcount.bpf.c counts frames that are not IPv4/IPv6 in. */
const NON_IP_SLOT = 256;

/** IANA protocol numbers seen most. */
const PROTOCOLS: Readonly<Record<number, string>> = {
  0: 'HOPOPT',
  1: 'ICMP',
  2: 'IGMP',
  4: 'IPIP',
  6: 'TCP',
  17: 'UDP',
  41: 'IPv6',
  43: 'IPv6-Route',
  44: 'IPv6-Frag',
  47: 'GRE',
  50: 'ESP',
  51: 'AH',
  58: 'ICMPv6',
  59: 'IPv6-NoNxt',
  60: 'IPv6-Opts',
  132: 'SCTP',
  136: 'UDPLite',
};

/** `struct counter` of xdpcount.bpf.c. */
interface Counter {
  packets: bigint;
  bytes: bigint;
}

interface Options {
  device: string;
  skbMode: boolean;
  interval: number;
  count: number;
}

function parseOptions(): Options {
  const { values, positionals } = parseToolArgs(USAGE, {
    allowPositionals: true,
    options: {
      interface: { type: 'string', short: 'i' },
      'skb-mode': { type: 'boolean', short: 'S', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.interface === undefined) throw new UsageError('-i IFACE is required');
  if (positionals.length > 2) throw new UsageError(`unrecognized positional argument: ${positionals[2]}`);
  return {
    device: values.interface,
    skbMode: values['skb-mode'],
    interval: positiveInt('interval', positionals[0]) ?? 1,
    count: positiveInt('count', positionals[1]) ?? Infinity,
  };
}

function protocolName(slot: number): string {
  if (slot === NON_IP_SLOT) return 'non-IP';
  const name = PROTOCOLS[slot];
  return name === undefined ? `proto ${slot}` : `${name} (${slot})`;
}

function row(label: string, slot: number, c: Counter): string {
  return `${label.padEnd(8)} ${protocolName(slot).padEnd(16)} ${String(c.packets).padStart(10)} ${String(c.bytes).padStart(12)}`;
}

runTool('xdpcount', USAGE, async (stop) => {
  const options = parseOptions();
  using obj = await loadObject(exampleObject('xdpcount'));
  using link = attachXdp(obj.program('xdp_count')!, { interface: options.device, ...(options.skbMode ? { flags: XdpFlag.SKB_MODE } : {}) });
  void link;
  const counts = obj.map('counts')!.typed<number, Counter>();

  /** Counters summed over CPUs, by slot, for the slots that counted anything. */
  const read = (): Map<number, Counter> => {
    const now = new Map<number, Counter>();
    for (let slot = 0; slot <= NON_IP_SLOT; slot++) {
      const perCpu = counts.getPerCpu(slot) ?? [];
      const sum = perCpu.reduce((a, c) => ({ packets: a.packets + c.packets, bytes: a.bytes + c.bytes }), { packets: 0n, bytes: 0n });
      if (sum.packets > 0n) now.set(slot, sum);
    }
    return now;
  };

  console.log(`${'TIME'.padEnd(8)} ${'PROTO'.padEnd(16)} ${'PACKETS'.padStart(10)} ${'BYTES'.padStart(12)}`);
  const seen = new Map<number, Counter>();
  // What arrived since the last print (the last interval is cut short by Ctrl-C).
  for await (const _ of stop.intervals(options.interval * 1000, options.count)) {
    const time = timeOfDay();
    for (const [slot, c] of read()) {
      const before = seen.get(slot) ?? { packets: 0n, bytes: 0n };
      if (c.packets !== before.packets) console.log(row(time, slot, { packets: c.packets - before.packets, bytes: c.bytes - before.bytes }));
      seen.set(slot, c);
    }
  }
  for (const [slot, c] of [...seen].sort(([a], [b]) => a - b)) console.log(row('TOTAL', slot, c));
});
