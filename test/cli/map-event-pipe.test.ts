/**
 * `bpf-ts map event_pipe`: records the test's own producer runs emit (sequence numbers it chose)
 * are printed in order with their bytes, in bpftool's layout (compared with bpftool on the same
 * map, times masked), lost samples are reported with the kernel's counts, -j gives bpftool's
 * objects, SIGINT ends it with 0; ring buffer maps print their records too (our extension).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import type { BpfObject } from '../../src/loader/index.js';
import { CLI } from '../helpers/paths.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { loadProducers, producePerf, produceRing, readStats, RECORD_SIZE, StatsSlot } from '../events/producers.js';
import { BPFTOOL, run } from './attach-fixture.js';

interface Streamed {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exit: Promise<number | null>;
}

function start(cmd: string, args: readonly string[]): Streamed {
  const child = spawn(cmd === 'bpf-ts' ? process.execPath : cmd, cmd === 'bpf-ts' ? [CLI, ...args] : args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The 8 little-endian bytes of `seq` as the hex dump prints them. */
function seqHex(seq: bigint): string {
  const b: string[] = [];
  for (let i = 0n; i < 8n; i++) b.push(((seq >> (8n * i)) & 0xffn).toString(16).padStart(2, '0'));
  return `${b.join(' ')}`;
}

/** Printed perf samples: header line and the bytes under it. */
function perfBlocks(out: string): Array<{ header: string; bytes: number[] }> {
  const blocks: Array<{ header: string; bytes: number[] }> = [];
  for (const line of out.split('\n')) {
    if (line.startsWith('== ')) blocks.push({ header: line, bytes: [] });
    else if (/^[0-9a-f]{2}( |$)/.test(line)) blocks.at(-1)?.bytes.push(...line.split(/ +/).map((h) => parseInt(h, 16)));
  }
  return blocks;
}

function seqOf(bytes: readonly number[]): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] ?? 0);
  return v;
}

/** Produces sync records until the reader prints one: then its events are in the map. */
async function waitAttached(t: Streamed, produce: (seq: bigint) => void, base: bigint): Promise<void> {
  for (let i = 0n; i < 100n; i++) {
    produce(base + i);
    await sleep(100);
    if (t.stdout().includes(seqHex(base + i)) || t.stdout().includes(`"data":[${Number((base + i) & 0xffn)},`)) return;
  }
  throw new Error(`the reader printed nothing: ${t.stderr()}`);
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await sleep(100);
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe('bpf-ts map event_pipe', function () {
  this.timeout(90_000);
  let obj: BpfObject;
  let perfId = 0;
  let rbId = 0;
  before(async function () {
    requirePrivileges(this);
    obj = await loadProducers({ ring: 16 * 4096 });
    perfId = obj.map('perf')?.id ?? 0;
    rbId = obj.map('rb')?.id ?? 0;
  });
  after(() => obj?.close());

  const SYNC = 1_000_000n;

  async function capture(cmd: string, firstSeq: bigint, count: number): Promise<string> {
    const t = start(cmd, ['map', 'event_pipe', 'id', String(perfId)]);
    try {
      await waitAttached(t, (s) => producePerf(obj, 0, s, 1), SYNC);
      producePerf(obj, 0, firstSeq, count);
      await waitFor(() => t.stdout().includes(seqHex(firstSeq + BigInt(count - 1))), 'the last record');
    } finally {
      t.child.kill('SIGINT');
    }
    expect(await t.exit).to.equal(0);
    expect(t.stderr()).to.equal('Stopping...\n');
    return t.stdout();
  }

  it('perf event array: every record in order with its bytes, laid out as bpftool prints them', async function () {
    requireTool(this, BPFTOOL);
    const ours = await capture('bpf-ts', 1n, 20);
    const ref = await capture(BPFTOOL, 1n, 20);
    const mine = (out: string): string[] =>
      out
        .split(/(?=^== )/m)
        .filter((b) => seqOf(perfBlocks(b)[0]?.bytes ?? []) < SYNC)
        .map((b) => b.replace(/^== @\d+\.\d{9} /, '== @T '));
    expect(mine(ours)).to.deep.equal(mine(ref));
    const blocks = perfBlocks(ours).filter((b) => seqOf(b.bytes) < SYNC);
    expect(blocks.map((b) => seqOf(b.bytes))).to.deep.equal(Array.from({ length: 20 }, (_, i) => BigInt(i + 1)));
    for (const b of blocks) {
      expect(b.header).to.match(/^== @\d+\.\d{9} CPU: 0 index: 0 =====$/);
      // 64 bytes of record, padded by the kernel to 68 (size field + data 8-byte aligned).
      expect(b.bytes.length).to.equal(RECORD_SIZE + 4);
    }
  });

  it('a burst larger than the buffer: printed samples plus "lost N events" equal what the program emitted', async function () {
    const t = start('bpf-ts', ['map', 'event_pipe', 'id', String(perfId), 'cpu', '0', 'index', '0']);
    const burst = 4000;
    let dropped = 0n;
    try {
      await waitAttached(t, (s) => producePerf(obj, 0, s, 1), SYNC + 1000n);
      const before = readStats(obj, StatsSlot.PERF);
      producePerf(obj, 0, 1n, burst);
      const after = readStats(obj, StatsSlot.PERF);
      dropped = after.dropped - before.dropped;
      expect(after.attempted - before.attempted).to.equal(BigInt(burst));
      expect(dropped > 0n, 'the burst must overflow 16 pages').to.equal(true);
      // The kernel's LOST record is written once room is made; one more sample makes sure.
      await sleep(300);
      producePerf(obj, 0, SYNC + 5000n, 1);
      await waitFor(() => t.stdout().includes(seqHex(SYNC + 5000n)), 'the record after the burst');
    } finally {
      t.child.kill('SIGINT');
    }
    expect(await t.exit).to.equal(0);
    const out = t.stdout();
    const lost = [...out.matchAll(/^lost (\d+) events$/gm)].reduce((n, m) => n + BigInt(m[1] as string), 0n);
    const seqs = perfBlocks(out).map((b) => seqOf(b.bytes)).filter((s) => s < SYNC);
    expect(lost).to.equal(dropped);
    expect(BigInt(seqs.length) + lost).to.equal(BigInt(burst));
    // What arrived is in order (the lost ones are gaps).
    for (let i = 1; i < seqs.length; i++) expect((seqs[i] as bigint) > (seqs[i - 1] as bigint)).to.equal(true);
  });

  it('-j: bpftool\'s sample objects (type 9, cpu, index, timestamp, data) in an array closed on SIGTERM', async function () {
    const t = start('bpf-ts', ['-j', 'map', 'event_pipe', 'id', String(perfId)]);
    try {
      await waitAttached(t, (s) => producePerf(obj, 0, s, 1), SYNC + 2000n);
      producePerf(obj, 0, 7n, 3);
      await waitFor(() => t.stdout().includes('"data":[9,'), 'seq 9');
    } finally {
      t.child.kill('SIGTERM');
    }
    expect(await t.exit).to.equal(0);
    const records = JSON.parse(t.stdout()) as Array<{ type: number; cpu: number; index: number; timestamp: number; data: number[] }>;
    const mine = records.filter((r) => r.data[0] !== undefined && r.data[0] >= 7 && r.data[0] <= 9 && r.data[2] === 0);
    expect(mine.map((r) => [r.type, r.cpu, r.index, r.data.length, r.data[0]])).to.deep.equal([
      [9, 0, 0, 68, 7],
      [9, 0, 0, 68, 8],
      [9, 0, 0, 68, 9],
    ]);
    expect(typeof mine[0]?.timestamp).to.equal('number');
  });

  it('ring buffer (our extension): each record with its size and bytes, in order', async function () {
    const t = start('bpf-ts', ['map', 'event_pipe', 'id', String(rbId)]);
    try {
      await waitAttached(t, (s) => produceRing(obj, { firstSeq: s, count: 1 }), SYNC + 3000n);
      produceRing(obj, { firstSeq: 100n, count: 10, mode: 1 });
      await waitFor(() => t.stdout().includes(seqHex(109n)), 'seq 109');
    } finally {
      t.child.kill('SIGINT');
    }
    expect(await t.exit).to.equal(0);
    const blocks = perfBlocks(t.stdout()).filter((b) => seqOf(b.bytes) < SYNC);
    expect(blocks.map((b) => [seqOf(b.bytes), b.bytes.length, b.header])).to.deep.equal(
      Array.from({ length: 10 }, (_, i) => {
        const len = 16 + ((100 + i) % 7) * 8;
        return [BigInt(100 + i), len, `== ringbuf: rb size: ${len} =====`];
      }),
    );
  });

  it('ring buffer -j: {"size","data"} objects in an array closed on SIGINT', async function () {
    const t = start('bpf-ts', ['-j', 'map', 'event_pipe', 'id', String(rbId)]);
    try {
      await waitAttached(t, (s) => produceRing(obj, { firstSeq: s, count: 1 }), SYNC + 4000n);
      produceRing(obj, { firstSeq: 200n, count: 3 });
      await waitFor(() => t.stdout().includes('"data":[202,'), 'seq 202');
    } finally {
      t.child.kill('SIGINT');
    }
    expect(await t.exit).to.equal(0);
    const records = JSON.parse(t.stdout()) as Array<{ size: number; data: number[] }>;
    const mine = records.filter((r) => r.data[0] !== undefined && r.data[0] >= 200 && r.data[0] <= 202 && r.data[1] === 0 && r.data[2] === 0);
    expect(mine.map((r) => [r.size, r.data.length, r.data[0]])).to.deep.equal([
      [RECORD_SIZE, RECORD_SIZE, 200],
      [RECORD_SIZE, RECORD_SIZE, 201],
      [RECORD_SIZE, RECORD_SIZE, 202],
    ]);
  });

  it('errors like bpftool: arguments, and a map of another type', function () {
    requireTool(this, BPFTOOL);
    const id = String(perfId);
    for (const extra of [['cpu'], ['cpu', '0'], ['index', '0'], ['cpu', 'x', 'index', '0'], ['cpu', '0', 'index', 'y'], ['bogus', '1']]) {
      const args = ['map', 'event_pipe', 'id', id, ...extra];
      const ours = run('bpf-ts', args);
      const ref = run(BPFTOOL, args);
      expect([ours.status, ours.stderr], extra.join(' ')).to.deep.equal([ref.status, ref.stderr]);
    }
    // A CPU that does not exist: libbpf's note differs, bpftool's own line and status do not.
    const lastLine = (t: string): string => t.trimEnd().split('\n').at(-1) ?? '';
    const badCpu = ['map', 'event_pipe', 'id', id, 'cpu', '4095', 'index', '0'];
    const ours = run('bpf-ts', badCpu);
    const ref = run(BPFTOOL, badCpu);
    expect([ours.status, lastLine(ours.stderr)]).to.deep.equal([ref.status, lastLine(ref.stderr)]);
    expect(lastLine(ours.stderr)).to.equal('Error: failed to create perf buffer: Invalid argument (22)');
    const stats = run('bpf-ts', ['map', 'event_pipe', 'id', String(obj.map('stats')?.id)]);
    expect([stats.status, stats.stderr]).to.deep.equal([255, 'Error: map is not a perf event array or a ring buffer\n']);
  });
});
