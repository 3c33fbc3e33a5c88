/**
 * `bpf-ts prog run` against `bpftool prog run` on the same pinned programs: the same return
 * value, hex dumps, JSON and files (durations differ run to run and are masked), the same errors;
 * and the output shows the program ran (XDP adds 1 to the first 16 bytes, tc sets mark/priority).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadObject, type BpfObject } from '../../src/loader/index.js';
import { hexDump } from '../../src/cli/prog-run.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { BPFTOOL, CLI_OBJ, run } from './attach-fixture.js';
import { bpffsTempDir } from '../helpers/bpffs.js';

const mask = (s: string): string => s.replace(/duration( \(average\))?: \d+ns/g, 'duration$1: Dns').replace(/"duration": ?\d+/g, '"duration":D');

describe('bpf-ts prog run vs bpftool', function () {
  this.timeout(60_000);
  let root = '';
  let files = '';
  let obj: BpfObject | undefined;
  let packet: Uint8Array;
  before(async function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
    root = bpffsTempDir('bpfts-progrun-');
    files = mkdtempSync(join(tmpdir(), 'bpfts-progrun-'));
    obj = await loadObject(CLI_OBJ);
    for (const name of ['xdp_rewrite', 'tc_mark', 'say']) obj.program(name)?.pin(join(root, name));
    packet = Uint8Array.from({ length: 70 }, (_, i) => (i * 7 + 0x20) & 0xff);
    writeFileSync(join(files, 'pkt'), packet);
    writeFileSync(join(files, 'skb'), new Uint8Array(192));
    writeFileSync(join(files, 'say'), Uint8Array.from([0x39, 0x30, 0, 0, 0, 0, 0, 0]));
  });
  after(function () {
    obj?.close();
    if (root !== '') rmSync(root, { recursive: true, force: true });
    if (files !== '') rmSync(files, { recursive: true, force: true });
  });

  const both = (args: string[], input?: Buffer): [ReturnType<typeof run>, ReturnType<typeof run>] => [run('bpf-ts', args, input), run(BPFTOOL, args, input)];

  it('xdp: data_out - prints bpftool\'s hex dump and return value; the program rewrote the packet', function () {
    const args = ['prog', 'run', 'pinned', join(root, 'xdp_rewrite'), 'data_in', join(files, 'pkt'), 'data_out', '-'];
    const [ours, ref] = both(args);
    expect(ours.stderr).to.equal('');
    expect(ours.status).to.equal(0);
    expect(mask(ours.stdout)).to.equal(mask(ref.stdout));
    const expected = Uint8Array.from(packet, (b, i) => (i < 16 ? (b + 1) & 0xff : b));
    expect(ours.stdout).to.equal(`${hexDump(expected)}Return value: 3, duration: ${/duration: (\d+)ns/.exec(ours.stdout)?.[1]}ns\n`);
  });

  it('-j and -p: data_out as byte arrays, retval and duration', function () {
    for (const opt of ['-j', '-p']) {
      const [ours, ref] = both([opt, 'prog', 'run', 'pinned', join(root, 'xdp_rewrite'), 'data_in', join(files, 'pkt'), 'data_out', '-']);
      expect(ours.status).to.equal(0);
      expect(mask(ours.stdout)).to.equal(mask(ref.stdout));
      const parsed = JSON.parse(ours.stdout) as { data_out: number[]; retval: number };
      expect(parsed.retval).to.equal(3);
      expect(parsed.data_out[0]).to.equal(((packet[0] as number) + 1) & 0xff);
    }
  });

  it('tc: data and ctx to files, repeat N prints the average; stdin as data_in', function () {
    const outs = (tag: string): string[] => ['data_out', join(files, `${tag}.data`), 'ctx_in', join(files, 'skb'), 'ctx_out', join(files, `${tag}.ctx`), 'repeat', '10'];
    const ours = run('bpf-ts', ['prog', 'run', 'pinned', join(root, 'tc_mark'), 'data_in', '-', ...outs('ours')], Buffer.from(packet));
    const ref = run(BPFTOOL, ['prog', 'run', 'pinned', join(root, 'tc_mark'), 'data_in', '-', ...outs('ref')], Buffer.from(packet));
    expect(ours.stderr).to.equal('');
    expect(mask(ours.stdout)).to.equal(mask(ref.stdout));
    expect(ours.stdout).to.match(/^Return value: 70, duration \(average\): \d+ns\n$/);
    expect(readFileSync(join(files, 'ours.data'))).to.deep.equal(readFileSync(join(files, 'ref.data')));
    const ctxOut = readFileSync(join(files, 'ours.ctx'));
    expect(ctxOut).to.deep.equal(readFileSync(join(files, 'ref.ctx')));
    // struct __sk_buff: mark at 8, priority at 32.
    expect(ctxOut.readUInt32LE(8)).to.equal(1070);
    expect(ctxOut.readUInt32LE(32)).to.equal(7);
  });

  it('ctx_out - prints a second hex dump after data_out', function () {
    const [ours, ref] = both(['prog', 'run', 'pinned', join(root, 'tc_mark'), 'data_in', join(files, 'pkt'), 'data_out', '-', 'ctx_in', join(files, 'skb'), 'ctx_out', '-']);
    expect(ours.status).to.equal(0);
    expect(mask(ours.stdout)).to.equal(mask(ref.stdout));
  });

  it('errors: the same messages and exit codes', function () {
    const xdp = ['prog', 'run', 'pinned', join(root, 'xdp_rewrite')];
    const cases: string[][] = [
      ['prog', 'run', 'pinned', join(root, 'xdp_rewrite')],
      [...xdp, 'data_in', join(files, 'missing')],
      [...xdp, 'data_in', '-', 'ctx_in', '-'],
      [...xdp, 'data', join(files, 'pkt')],
      [...xdp, 'data_in', join(files, 'pkt'), 'repeat', 'x'],
      [...xdp, 'data_in', join(files, 'pkt'), 'data_size_out', '4'],
      [...xdp, 'data_in', join(files, 'pkt'), 'bogus', '1'],
      [...xdp, 'data_in', join(files, 'pkt'), 'data_out'],
      ['prog', 'run', 'id', '4000000000', 'data_in', join(files, 'pkt')],
      ['prog', 'run', 'name', 'no_such_prog_xx', 'data_in', join(files, 'pkt')],
    ];
    for (const args of cases) {
      const [ours, ref] = both(args, Buffer.alloc(0));
      expect([ours.status, ours.stderr], args.join(' ')).to.deep.equal([ref.status, ref.stderr]);
      expect(ours.status, args.join(' ')).not.to.equal(0);
    }
  });

  it('syscall programs run (bpftool cannot: it always passes repeat and ctx_out)', function () {
    const args = ['prog', 'run', 'pinned', join(root, 'say'), 'ctx_in', join(files, 'say'), 'ctx_out', '-'];
    const ours = run('bpf-ts', args);
    expect(ours.stderr).to.equal('');
    expect(ours.stdout).to.match(/^0000000\t3930 0000 0000 0000 {21}\| 90\.\.\.\.\.\. \nReturn value: 0, duration: \d+ns\n$/);
    expect(run(BPFTOOL, args).stderr).to.equal('Error: failed to run program: Invalid argument\n');
  });
});
