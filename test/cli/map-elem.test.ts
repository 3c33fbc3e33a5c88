import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { BpfMap } from '../../src/maps/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { ensureTestBpffs } from '../helpers/bpffs.js';

const BPFTOOL = '/usr/sbin/bpftool';
const DIR = `/sys/fs/bpf/bpf_ts_map_cli_${process.pid}`;
const MAPS = `${DIR}/maps`;

interface Run {
  readonly out: string;
  readonly err: string;
  readonly code: number;
}

function bpftool(args: readonly string[]): Run {
  const r = spawnSync(BPFTOOL, args, { encoding: 'utf8' });
  return { out: r.stdout, err: r.stderr, code: r.status ?? -1 };
}


/** Runs both tools with the same words and expects the same stdout, stderr and exit status. */
async function same(args: readonly string[]): Promise<Run> {
  const want = bpftool(args);
  const got = await ours(args);
  expect({ out: got.out, err: got.err, code: got.code }, args.join(' ')).to.deep.equal({ out: want.out, err: want.err, code: want.code });
  return got;
}

/**
 * Runs a command that changes its map on twin maps: bpftool on `<name>_a`, ours on `<name>_b`
 * (`@` in `args` stands for the map path), and expects the same output.
 */
async function sameOnTwins(name: string, args: readonly string[]): Promise<void> {
  const want = bpftool(args.map((a) => (a === '@' ? `${DIR}/${name}_a` : a)));
  const got = await ours(args.map((a) => (a === '@' ? `${DIR}/${name}_b` : a)));
  expect({ out: got.out, err: got.err, code: got.code }, args.join(' ')).to.deep.equal({ out: want.out, err: want.err, code: want.code });
}

/** Creates twin pinned maps `<name>_a` and `<name>_b` with bpftool. */
function createTwins(name: string, spec: string): void {
  create(`${name}_a`, spec);
  create(`${name}_b`, spec);
}

/** Creates a pinned map with bpftool (`map create`). */
function create(name: string, spec: string): string {
  const path = `${DIR}/${name}`;
  const r = bpftool(['map', 'create', path, ...spec.split(' '), 'name', name]);
  if (r.code !== 0) throw new Error(`bpftool map create ${name}: ${r.err}`);
  return path;
}

const VALUE = {
  id: 7,
  name: 'seven',
  in: { a: 1, b: 2n },
  bf: { x: 1, y: -1, z: 0xffffffffffn, flag: true, t: 15, after: 3 },
  word: 0x01020304,
  sx: -1,
  sy: 1,
  pk: { a: 1, b: 2, c: 3 },
  arr: [
    { a: 4, b: 5n },
    { a: 6, b: 7n },
  ],
  te: 1,
  se: -3,
  sh: 65535,
  s32e: 100,
  be: 0x123456789abcn,
  ne: -0x100000000n,
  ptr: 0x1234n,
  s64: -1n,
  b: false,
  u128: (1n << 100n) + 5n,
  matrix: [
    [0, 0, 0],
    [1, 1, 1],
  ],
  raw: Uint8Array.of(1, 2, 3, 4, 5),
  bin: Uint8Array.of(1, 0x61, 0, 0),
};

describe('bpf-ts map dump|lookup|update|delete|getnext|pin|freeze|peek|push|pop vs bpftool', function () {
  this.timeout(60_000);

  before(function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
    ensureTestBpffs();
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(DIR, { recursive: true });
    const r = bpftool(['prog', 'loadall', join(BPF_DIR, 'maps-api', 'values.bpf.o'), `${DIR}/progs`, 'pinmaps', MAPS]);
    if (r.code !== 0) throw new Error(`bpftool prog loadall: ${r.err}`);
    // BTF-typed entries written through our typed API; bpftool formats them from the same BTF.
    using mixed = BpfMap.fromPin(`${MAPS}/mixed_hash`);
    const typed = mixed.typed();
    typed.set({ pid: 1, comm: 'init' }, VALUE);
    typed.set({ pid: 3, comm: 'x' }, { ...VALUE, name: 'tab\there', bin: 'ok', te: 200, ptr: 0xffff888000000000n });
    typed.set({ pid: 4, comm: 'sh' }, { ...VALUE, name: '', word: undefined, bytes4: Uint8Array.of(0xff, 0, 0, 0x80) });
    using arr = BpfMap.fromPin(`${MAPS}/typed_array`);
    arr.typed().set(1, { x: 5, y: -16, z: 0xff00ff00ffn, flag: true, t: 'TINY_A', after: 0xffffffff });
    using pc = BpfMap.fromPin(`${MAPS}/typed_percpu`);
    pc.typed().set(1, Array.from({ length: pc.cpus }, (_, i) => ({ a: i, b: 0xffffffff - i, c: 7 })));
    using ek = BpfMap.fromPin(`${MAPS}/enum_key_hash`);
    ek.typed().set(0x123456789abcn, { a: 9, b: 10n });
    ek.typed().set(77n, { a: 1, b: 1n });
  });

  after(function () {
    if (existsSync(DIR)) rmSync(DIR, { recursive: true, force: true });
  });

  describe('BTF-formatted maps (plain, -j, -p)', function () {
    for (const map of ['mixed_hash', 'typed_array', 'typed_percpu', 'enum_key_hash', 'typed_queue', '_data_mixed']) {
      for (const opts of [[], ['-j'], ['-p']]) {
        it(`${opts.join(' ')} map dump ${map}`, async function () {
          const r = await same([...opts, 'map', 'dump', 'pinned', `${MAPS}/${map}`]);
          expect(r.out.length).to.be.above(2);
        });
      }
    }

    it('lookup of BTF maps, found and missing', async function () {
      for (const opts of [[], ['-j'], ['-p']]) {
        await same([...opts, 'map', 'lookup', 'pinned', `${MAPS}/typed_array`, 'key', '1', '0', '0', '0']);
        await same([...opts, 'map', 'lookup', 'pinned', `${MAPS}/typed_percpu`, 'key', 'hex', '01', '00', '00', '00']);
        await same([...opts, 'map', 'lookup', 'pinned', `${MAPS}/mixed_hash`, 'key', '1', '0', '0', '0', '0x69', '0x6e', '0x69', '0x74', '0', '0', '0', '0']);
        await same([...opts, 'map', 'lookup', 'pinned', `${MAPS}/mixed_hash`, 'key', ...Array(12).fill('0')]);
      }
    });

    it('getnext walks the same keys', async function () {
      const first = await same(['-j', 'map', 'getnext', 'pinned', `${MAPS}/enum_key_hash`]);
      const next = (JSON.parse(first.out) as { next_key: string[] }).next_key;
      await same(['map', 'getnext', 'pinned', `${MAPS}/enum_key_hash`, 'key', 'hex', ...next.map((b) => b.slice(2))]);
      await same(['-j', 'map', 'getnext', 'pinned', `${MAPS}/enum_key_hash`, 'key', ...next]);
    });
  });

  describe('plain maps', function () {
    let hash = '';
    let big = '';
    let percpu = '';
    let queue = '';
    let stack = '';
    before(function () {
      hash = create('h', 'type hash key 4 value 8 entries 4');
      big = create('big', 'type hash key 20 value 4 entries 2');
      percpu = create('pc', 'type percpu_array key 4 value 20 entries 2');
      queue = create('q', 'type queue key 0 value 4 entries 2');
      stack = create('s', 'type stack key 0 value 20 entries 2');
      bpftool(['map', 'update', 'pinned', big, 'key', ...Array.from({ length: 20 }, (_, i) => String(i)), 'value', '1', '2', '3', '4']);
    });

    it('update/lookup/getnext/delete sequences give the same output and contents', async function () {
      // BPF_F_ZERO_SEED: both twins hash keys alike, so their dumps list entries in the same order.
      createTwins('h2', 'type hash key 4 value 8 entries 4 flags 64');
      createTwins('pc2', 'type percpu_hash key 4 value 20 entries 2 flags 64');
      const seq: string[][] = [
        ['map', 'update', 'pinned', '@', 'key', '1', '0', '0', '0', 'value', '1', '2', '3', '4', '5', '6', '7', '8'],
        ['map', 'lookup', 'pinned', '@', 'key', '1', '0', '0', '0'],
        ['-j', 'map', 'lookup', 'pinned', '@', 'key', '1', '0', '0', '0'],
        ['map', 'lookup', 'pinned', '@', 'key', '2', '0', '0', '0'],
        ['-j', 'map', 'lookup', 'pinned', '@', 'key', '2', '0', '0', '0'],
        ['map', 'update', 'pinned', '@', 'key', '1', '0', '0', '0', 'value', '1', '2', '3', '4', '5', '6', '7', '8', 'noexist'],
        ['map', 'update', 'pinned', '@', 'key', '9', '0', '0', '0', 'value', '1', '2', '3', '4', '5', '6', '7', '8', 'exist'],
        ['map', 'update', 'pinned', '@', 'key', 'hex', '0a', '0', '0', '0', 'value', 'hex', 'ff', 'fe', '0x7', '0', '0', '0', '0', '1', 'any'],
        ['-j', 'map', 'update', 'pinned', '@', 'value', '010', '0x10', '+5', '255', '256', '0', '0', '0', 'key', '3', '0', '0', '0'],
        ['map', 'update', 'pinned', '@', 'key', '4', '0', '0', '0', 'value', '0', '0', '0', '0', '0', '0', '0', '0', 'noexist'],
        ['map', 'update', 'pinned', '@', 'key', '5', '0', '0', '0', 'value', '0', '0', '0', '0', '0', '0', '0', '0'],
        ['map', 'dump', 'pinned', '@'],
        ['-j', 'map', 'dump', 'pinned', '@'],
        ['map', 'getnext', 'pinned', '@', 'key', '99', '0', '0', '0'],
        ['map', 'delete', 'pinned', '@', 'key', '9', '0', '0', '0'],
        ['-j', 'map', 'delete', 'pinned', '@', 'key', '9', '0', '0', '0'],
        ['map', 'delete', 'pinned', '@', 'key', '1', '0', '0', '0'],
        ['-j', 'map', 'delete', 'pinned', '@', 'key', '3', '0', '0', '0'],
        ['map', 'dump', 'pinned', '@'],
      ];
      for (const args of seq) await sameOnTwins('h2', args);
      for (const args of [
        ['map', 'dump', 'pinned', '@'],
        ['map', 'update', 'pinned', '@', 'key', '1', '0', '0', '0', 'value', ...Array.from({ length: 20 }, (_, i) => String(i + 1))],
        ['-j', 'map', 'lookup', 'pinned', '@', 'key', '1', '0', '0', '0'],
        ['map', 'lookup', 'pinned', '@', 'key', '1', '0', '0', '0'],
        ['-p', 'map', 'dump', 'pinned', '@'],
        ['map', 'pop', 'pinned', '@'],
      ]) {
        await sameOnTwins('pc2', args);
      }
      await same(['map', 'dump', 'pinned', big]);
      await same(['map', 'dump', 'pinned', percpu]);
      await same(['map', 'getnext', 'pinned', hash]);
    });

    it('queue and stack: push/enqueue, peek, pop/dequeue, full and empty', async function () {
      createTwins('q2', 'type queue key 0 value 4 entries 2');
      createTwins('s2', 'type stack key 0 value 20 entries 2');
      const seq: string[][] = [
        ['map', 'peek', 'pinned', '@'],
        ['-j', 'map', 'peek', 'pinned', '@'],
        ['map', 'pop', 'pinned', '@'],
        ['-j', 'map', 'dequeue', 'pinned', '@'],
        ['map', 'push', 'pinned', '@', 'value', '1', '2', '3', '4'],
        ['-j', 'map', 'enqueue', 'pinned', '@', 'value', '5', '6', '7', '8'],
        ['map', 'push', 'pinned', '@', 'value', '9', '9', '9', '9'],
        ['map', 'peek', 'pinned', '@'],
        ['-j', 'map', 'peek', 'pinned', '@'],
        ['map', 'dump', 'pinned', '@'],
        ['map', 'push', 'pinned', '@', 'key', '1', 'value', '1', '2', '3', '4'],
        ['map', 'pop', 'pinned', '@'],
        ['-j', 'map', 'dequeue', 'pinned', '@'],
        ['map', 'pop', 'pinned', '@'],
      ];
      for (const args of seq) await sameOnTwins('q2', args);
      for (const args of [
        ['map', 'push', 'pinned', '@', 'value', ...Array.from({ length: 20 }, (_, i) => String(i))],
        ['map', 'push', 'pinned', '@', 'value', ...Array.from({ length: 20 }, (_, i) => String(i * 3))],
        ['map', 'peek', 'pinned', '@'],
        ['-p', 'map', 'pop', 'pinned', '@'],
        ['map', 'pop', 'pinned', '@'],
      ]) {
        await sameOnTwins('s2', args);
      }
      await same(['map', 'peek', 'pinned', queue]);
      await same(['map', 'peek', 'pinned', stack]);
    });

    it('freeze and pin', async function () {
      createTwins('fz', 'type array key 4 value 4 entries 1');
      await sameOnTwins('fz', ['map', 'freeze', 'pinned', '@']);
      await sameOnTwins('fz', ['map', 'freeze', 'pinned', '@']);
      await sameOnTwins('fz', ['-j', 'map', 'update', 'pinned', '@', 'key', '0', '0', '0', '0', 'value', '1', '1', '1', '1']);
      await sameOnTwins('fz', ['-j', 'map', 'freeze', 'pinned', '@', 'extra']);
      const pin = `${DIR}/pin2`;
      const want = bpftool(['-j', 'map', 'pin', 'pinned', hash, pin]);
      rmSync(pin);
      const got = await ours(['-j', 'map', 'pin', 'pinned', hash, pin]);
      expect(got).to.deep.equal(want);
      expect(bpftool(['map', 'show', 'pinned', pin]).code).to.equal(0);
      await same(['map', 'pin', 'pinned', hash, pin]);
      await same(['map', 'pin', 'pinned', hash, '/nonexistent_dir_bpf_ts/x']);
    });

    it('prog array and map-in-map values given as PROG / MAP handles', async function () {
      createTwins('pa', 'type prog_array key 4 value 4 entries 4');
      const prog = `${DIR}/progs/maps_api_prog`;
      for (const args of [
        ['map', 'update', 'pinned', '@', 'key', '1', '0', '0', '0', 'value', 'pinned', prog],
        ['map', 'update', 'pinned', '@', 'key', '2', '0', '0', '0', 'value', 'pinned', `${DIR}/nope`],
        ['map', 'update', 'pinned', '@', 'key', '2', '0', '0', '0', 'value', 'pinned'],
        ['map', 'update', 'pinned', '@', 'key', '9', '0', '0', '0', 'value', 'pinned', prog],
        ['map', 'dump', 'pinned', '@'],
        ['-j', 'map', 'dump', 'pinned', '@'],
      ]) {
        await sameOnTwins('pa', args);
      }
      const inner = create('inner', 'type array key 4 value 4 entries 1');
      const aom = `type array_of_maps key 4 value 4 entries 2 inner_map pinned ${inner}`;
      createTwins('aom', aom);
      for (const args of [
        ['map', 'update', 'pinned', '@', 'key', '1', '0', '0', '0', 'value', 'pinned', inner],
        ['map', 'dump', 'pinned', '@'],
        ['-j', 'map', 'dump', 'pinned', '@'],
        ['map', 'lookup', 'pinned', '@', 'key', '0', '0', '0', '0'],
      ]) {
        await sameOnTwins('aom', args);
      }
    });

    it('a name matching several maps: dump prints each with a header, element commands refuse', async function () {
      const name = `dup${process.pid}`.slice(0, 15);
      bpftool(['map', 'create', `${DIR}/dup1`, 'type', 'hash', 'key', '4', 'value', '4', 'entries', '1', 'name', name]);
      bpftool(['map', 'create', `${DIR}/dup2`, 'type', 'array', 'key', '4', 'value', '4', 'entries', '1', 'name', name]);
      bpftool(['map', 'update', 'pinned', `${DIR}/dup1`, 'key', '1', '0', '0', '0', 'value', '2', '0', '0', '0']);
      for (const opts of [[], ['-j'], ['-p']]) await same([...opts, 'map', 'dump', 'name', name]);
      await same(['map', 'lookup', 'name', name, 'key', '1', '0', '0', '0']);
      await same(['-j', 'map', 'freeze', 'name', name]);
    });

    it('leaves no fd open after 200 runs of each command (success and failure paths)', async function () {
      const { readdirSync } = await import('node:fs');
      const fds = (): number => readdirSync('/proc/self/fd').length;
      const before = fds();
      for (let i = 0; i < 200; i++) {
        await ours(['map', 'dump', 'pinned', `${MAPS}/mixed_hash`]);
        await ours(['-j', 'map', 'lookup', 'pinned', `${MAPS}/typed_array`, 'key', '1', '0', '0', '0']);
        await ours(['map', 'update', 'pinned', hash, 'key', '1', '0', '0', '0', 'value', '1', '2', '3', '4', '5', '6', '7', '8']);
        await ours(['map', 'delete', 'pinned', hash, 'key', '7', '0', '0', '0']);
        await ours(['map', 'update', 'pinned', hash, 'key', '1', '0', '0', '0', 'value', '1']);
        await ours(['map', 'pop', 'pinned', queue]);
      }
      expect(fds()).to.be.at.most(before);
    });

    it('argument errors: messages and exit codes', async function () {
      const cases: string[][] = [
        ['map', 'update', 'pinned', hash, 'key', '1', '0', '0', 'value', '1'],
        ['map', 'update', 'pinned', hash, 'key', '1', '0', '0', '0', 'value', '1', '2', '3', '4', '5', '6', '7', '8', 'any', 'exist'],
        ['map', 'update', 'pinned', hash, 'key', '1', '0', '0', '0', 'value', '1', '2', '3', '4', '5', '6', '7', '0x1g'],
        ['map', 'update', 'pinned', hash, 'key', '1', '0', '0', '0'],
        ['map', 'update', 'pinned', hash, 'value', '1', '2', '3', '4', '5', '6', '7', '8'],
        ['map', 'update', 'pinned', hash, 'key', '1', '0', '0', '0', 'key', '1'],
        ['map', 'lookup', 'pinned', hash, 'key', '1', '0', '0', '0', 'extra'],
        ['map', 'lookup', 'pinned', hash, 'key', '1', '0', '0', '0', 'value', '1'],
        ['map', 'lookup', 'pinned', hash, 'key', '1', '0'],
        ['map', 'lookup', 'pinned', hash, 'key', '1', '0', '0', '0', 'any'],
        ['-j', 'map', 'lookup', 'pinned', hash, 'key', '1', '0', '0', '0', 'value', '1'],
        ['map', 'delete', 'pinned', hash],
        ['map', 'dump', 'name', 'no_such_map_x'],
        ['map', 'lookup', 'id', '0x7ffffff0', 'key', '1', '0', '0', '0'],
        ['map', 'dump', 'pinned', `${DIR}/nope`],
      ];
      for (const args of cases) await same(args);
    });
  });
});

function ours(args: readonly string[]): Promise<Run> {
  return runCli(args);
}
