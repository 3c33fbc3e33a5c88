import { expect } from 'chai';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import {
  BpfMap,
  MapBatchCursor,
  MapError,
  MapIterationError,
  UpdateFlag,
  type MapEntry,
} from '../../src/maps/index.js';
import { FdClosedError, possibleCpus, getMapInfo, getProgInfo, MapCreateFlag, MapType, ObjectNotFoundError, objPin, SysError } from '../../src/sys/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { kernelAtLeast } from '../helpers/kernel.js';
import { loadTrivialProg, openFds, readU32, u32, u64 } from './fixtures.js';

const hex = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('hex'));

function sortedHex(entries: Iterable<MapEntry>): string[] {
  return [...entries].map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();
}

function expectMapError(run: () => unknown, code: string, message: RegExp): MapError {
  let caught: unknown;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'throws').to.be.instanceOf(MapError);
  const e = caught as MapError;
  expect(e.code).to.equal(code);
  expect(e.message).to.match(message);
  return e;
}

describe('BpfMap against the kernel', function () {
  let fdsBefore = 0;
  before(function () {
    requirePrivileges(this);
    fdsBefore = openFds();
  });
  after(function () {
    // At most: finalizers of other suites' forgotten fds may close some meanwhile.
    if (fdsBefore !== 0) expect(openFds(), 'fds leaked by the map tests').to.be.at.most(fdsBefore);
  });

  describe('hash', function () {
    it('creates, updates, looks up, deletes, with bpftool-visible attributes', function () {
      using map = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8, name: 'ma_hash' });
      const info = getMapInfo(map.fd);
      expect([info.type, info.keySize, info.valueSize, info.maxEntries, info.name, info.id]).to.deep.equal([MapType.HASH, 4, 8, 8, 'ma_hash', map.id]);
      expect(map.lookup(u32(1))).to.equal(undefined);
      map.update(u32(1), u64(0x1122334455667788n));
      expect(hex(map.lookup(u32(1)))).to.equal('8877665544332211');
      expect(map.has(u32(1))).to.equal(true);
      const out = new Uint8Array(8);
      expect(map.lookup(u32(1), out)).to.equal(out);
      expect(hex(out)).to.equal('8877665544332211');
      expect(map.delete(u32(1))).to.equal(true);
      expect(map.delete(u32(1))).to.equal(false);
      expect(map.has(u32(1))).to.equal(false);
    });

    it('honours NOEXIST/EXIST and reports EEXIST/ENOENT/E2BIG as MapError with the key', function () {
      using map = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 2, name: 'ma_flags' });
      expectMapError(() => map.update(u32(7), u32(1), UpdateFlag.EXIST), 'ENOENT', /^map 'ma_flags' \(id \d+\): update key 07 00 00 00: BPF_MAP_UPDATE_ELEM failed \(ENOENT\): No such file or directory$/);
      map.update(u32(7), u32(1), UpdateFlag.NOEXIST);
      const e = expectMapError(() => map.update(u32(7), u32(2), UpdateFlag.NOEXIST), 'EEXIST', /update key 07 00 00 00: BPF_MAP_UPDATE_ELEM failed \(EEXIST\): File exists$/);
      expect(e.errno).to.equal(17);
      expect(hex(e.key)).to.equal('07000000');
      map.update(u32(7), u32(3), UpdateFlag.EXIST);
      expect(readU32(map.lookup(u32(7)) as Uint8Array)).to.equal(3);
      map.update(u32(8), u32(1));
      expectMapError(() => map.update(u32(9), u32(1)), 'E2BIG', /update key 09 00 00 00: BPF_MAP_UPDATE_ELEM failed \(E2BIG\)/);
    });

    it('refuses wrong key, value and output sizes before the syscall', function () {
      using map = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 2, name: 'ma_sizes' });
      expectMapError(() => map.lookup(new Uint8Array(3)), 'EINVAL', /^map 'ma_sizes' \(id \d+\): lookup: key is 3 bytes; the map's key_size is 4$/);
      expectMapError(() => map.update(u32(1), new Uint8Array(4)), 'EINVAL', /update key 01 00 00 00: value is 4 bytes; expected value_size 8$/);
      map.update(u32(1), new Uint8Array(8));
      expectMapError(() => map.lookup(u32(1), new Uint8Array(7)), 'EINVAL', /lookup: output buffer is 7 bytes; needs 8$/);
      expectMapError(() => map.nextKey(null, new Uint8Array(2)), 'EINVAL', /get next key: output buffer is 2 bytes; needs 4$/);
    });

    it('lookupAndDelete returns and removes', function () {
      using map = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
      map.update(u32(1), u32(11));
      expect(readU32(map.lookupAndDelete(u32(1)) as Uint8Array)).to.equal(11);
      expect(map.lookupAndDelete(u32(1))).to.equal(undefined);
      expect(map.has(u32(1))).to.equal(false);
    });

    it('throws FdClosedError once closed', function () {
      const map = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
      map.close();
      map.close();
      expect(map.closed).to.equal(true);
      expect(() => map.lookup(u32(1))).to.throw(FdClosedError);
      expect(() => map.nextKey(null)).to.throw(FdClosedError);
      expect(() => map.pop()).to.throw(FdClosedError);
    });
  });

  describe('iteration', function () {
    function filled(n: number): BpfMap {
      const map = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: n, name: 'ma_iter' });
      for (let i = 0; i < n; i++) map.update(u32(i), u32(i * 10));
      return map;
    }

    it('visits every key once, and entries match the updates', function () {
      using map = filled(100);
      const keys = [...map.keys()].map((k) => readU32(k)).sort((a, b) => a - b);
      expect(keys).to.deep.equal(Array.from({ length: 100 }, (_, i) => i));
      for (const [k, v] of map.entries()) expect(readU32(v)).to.equal(readU32(k) * 10);
    });

    it('survives deleting each key as it is yielded (the map ends empty, no key twice)', function () {
      using map = filled(64);
      const seen: number[] = [];
      for (const k of map.keys()) {
        seen.push(readU32(k));
        expect(map.delete(k)).to.equal(true);
      }
      expect(new Set(seen).size).to.equal(64);
      expect(seen.length).to.equal(64);
      expect(map.nextKey(null)).to.equal(undefined);
    });

    it('skips entries another party deletes during the walk, and still visits the rest', function () {
      using map = filled(32);
      const seen = new Set<number>();
      let first = true;
      for (const [k, v] of map.entries()) {
        seen.add(readU32(k));
        expect(readU32(v)).to.equal(readU32(k) * 10);
        if (first) {
          // Another party deletes every odd key (perhaps the walk's prefetched next key, which
          // makes the kernel restart from the first key).
          for (let i = 1; i < 32; i += 2) map.delete(u32(i));
          first = false;
        } else {
          expect(readU32(k) % 2, `deleted key ${readU32(k)} yielded`).to.equal(0);
        }
      }
      for (let i = 0; i < 32; i += 2) expect(seen.has(i), `key ${i} visited`).to.equal(true);
    });

    it('aborts with MapIterationError when restarts exceed max_entries', function () {
      using map = filled(8);
      // Deleting and re-adding the key after the current one each step moves it to the head of
      // its bucket, so the walk keeps revisiting keys and never reaches the end.
      let n = 0;
      let caught: unknown;
      try {
        for (const k of map.keys()) {
          const next = map.nextKey(k);
          if (next !== undefined) {
            map.delete(next);
            map.update(next, u32(0));
          }
          if (++n > 100) break;
        }
      } catch (e) {
        caught = e;
      }
      expect(caught).to.be.instanceOf(MapIterationError);
      expect((caught as Error).message).to.match(/iterate: more than max_entries \(8\) keys visited/);
      expect(n).to.equal(9);
    });

    it('walks an array in index order with nextKey', function () {
      using map = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 5 });
      expect([...map.keys()].map((k) => readU32(k))).to.deep.equal([0, 1, 2, 3, 4]);
      expect(readU32(map.nextKey(u32(2)) as Uint8Array)).to.equal(3);
      expect(map.nextKey(u32(4))).to.equal(undefined);
      // Array elements cannot be deleted: the kernel says EINVAL.
      expectMapError(() => map.delete(u32(1)), 'EINVAL', /delete key 01 00 00 00: BPF_MAP_DELETE_ELEM failed \(EINVAL\)/);
    });
  });

  describe('batch commands', function () {
    it('lookupBatch returns what one-by-one iteration returns, across batch sizes', function () {
      using map = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 300, name: 'ma_batch' });
      for (let i = 0; i < 257; i++) map.update(u32(i * 3), u64(BigInt(i) << 32n));
      const expected = sortedHex(map.entries());
      expect(expected.length).to.equal(257);
      for (const size of [1, 7, 64, 1000]) expect(sortedHex(map.batchEntries(size)), `batch ${size}`).to.deep.equal(expected);
    });

    it('handles the ENOENT end with a partial last batch and the in/out token', function () {
      using map = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 10 });
      for (let i = 0; i < 10; i++) map.update(u32(i), u32(100 + i));
      const cursor = new MapBatchCursor(4);
      const keys = new Uint8Array(4 * 4);
      const values = new Uint8Array(4 * 4);
      const counts: number[] = [];
      const got: number[] = [];
      while (!cursor.done) {
        const n = map.lookupBatch(cursor, keys, values);
        counts.push(n);
        for (let i = 0; i < n; i++) got.push(readU32(keys, i * 4) * 1000 + readU32(values, i * 4));
      }
      expect(counts).to.deep.equal([4, 4, 2]);
      expect(got).to.deep.equal(Array.from({ length: 10 }, (_, i) => i * 1000 + 100 + i));
      expect(map.lookupBatch(cursor, keys, values)).to.equal(0);
      cursor.reset();
      expect(map.lookupBatch(cursor, keys, values)).to.equal(4);
    });

    it('updateBatch and deleteBatch match single updates and deletes', function () {
      using a = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 64 });
      using b = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 64 });
      const keys = new Uint8Array(50 * 4);
      const values = new Uint8Array(50 * 4);
      for (let i = 0; i < 50; i++) {
        keys.set(u32(i + 1000), i * 4);
        values.set(u32(i * i), i * 4);
        b.update(u32(i + 1000), u32(i * i));
      }
      expect(a.updateBatch(keys, values)).to.equal(50);
      expect(sortedHex(a.entries())).to.deep.equal(sortedHex(b.entries()));
      expect(a.deleteBatch(keys.subarray(0, 20 * 4))).to.equal(20);
      for (let i = 0; i < 20; i++) b.delete(u32(i + 1000));
      expect(sortedHex(a.entries())).to.deep.equal(sortedHex(b.entries()));
      // A full map fails the batch and the error says how far it got.
      using small = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 2 });
      expectMapError(() => small.updateBatch(keys.subarray(0, 3 * 4), values.subarray(0, 3 * 4)), 'E2BIG', /update batch: BPF_MAP_UPDATE_BATCH failed \(E2BIG\): Argument list too long \(after 2 of 3 elements\)$/);
      // elem_flags takes only BPF_F_LOCK: the kernel refuses NOEXIST.
      expectMapError(() => a.updateBatch(keys.subarray(0, 4), values.subarray(0, 4), { elemFlags: UpdateFlag.NOEXIST }), 'EINVAL', /BPF_MAP_UPDATE_BATCH failed \(EINVAL\)/);
      expectMapError(() => a.deleteBatch(u32(5)), 'ENOENT', /delete batch: BPF_MAP_DELETE_BATCH failed \(ENOENT\).*\(after 0 of 1 elements\)$/);
      expectMapError(() => a.updateBatch(new Uint8Array(6), new Uint8Array(8)), 'EINVAL', /update batch: keys buffer is 6 bytes, not a multiple of key_size 4$/);
      expectMapError(() => a.updateBatch(new Uint8Array(8), new Uint8Array(4)), 'EINVAL', /values buffer is 4 bytes; 2 keys need 8 \(4 each\)$/);
      expectMapError(() => a.lookupBatch(new MapBatchCursor(4), new Uint8Array(0), new Uint8Array(0)), 'EINVAL', /lookup batch: empty output buffers$/);
      using q = BpfMap.create({ type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 2 });
      expectMapError(() => q.deleteBatch(new Uint8Array(4)), 'EINVAL', /delete batch: the map has no keys \(batch commands need a keyed map\)$/);
    });

    it('lookupAndDeleteBatch empties a hash map, returning everything once', function () {
      using map = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 40 });
      for (let i = 0; i < 33; i++) map.update(u32(i), u32(i + 1));
      const expected = sortedHex(map.entries());
      const cursor = new MapBatchCursor(4);
      const keys = new Uint8Array(5 * 4);
      const values = new Uint8Array(5 * 4);
      const got: MapEntry[] = [];
      while (!cursor.done) {
        const n = map.lookupAndDeleteBatch(cursor, keys, values);
        for (let i = 0; i < n; i++) got.push([keys.slice(i * 4, i * 4 + 4), values.slice(i * 4, i * 4 + 4)]);
      }
      expect(sortedHex(got)).to.deep.equal(expected);
      expect(map.nextKey(null)).to.equal(undefined);
    });
  });

  describe('per-CPU maps', function () {
    for (const type of [MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_PERCPU_HASH]) {
      it(`type ${type}: value slots of round_up(value_size, 8) per possible CPU`, function () {
        using map = BpfMap.create({ type, keySize: 4, valueSize: 5, maxEntries: 4 });
        const cpus = possibleCpus().length;
        expect([map.perCpu, map.cpus, map.valueStride, map.valueBufferSize]).to.deep.equal([true, cpus, 8, 8 * cpus]);
        const perCpu = Array.from({ length: cpus }, (_, i) => Uint8Array.of(i + 1, 2, 3, 4, 0xff - i));
        map.update(u32(1), map.perCpuBuffer(perCpu));
        const back = map.lookup(u32(1)) as Uint8Array;
        expect(back.byteLength).to.equal(8 * cpus);
        expect(map.perCpuValues(back).map(hex)).to.deep.equal(perCpu.map(hex));
        // Batch lookups carry whole per-CPU values too.
        const [entry] = [...map.batchEntries()].filter(([k]) => readU32(k) === 1);
        expect(hex(entry?.[1])).to.equal(hex(back));
        expectMapError(() => map.update(u32(1), new Uint8Array(5)), 'EINVAL', new RegExp(`value is 5 bytes; expected ${8 * cpus} \\(round_up\\(value_size 5, 8\\) x ${cpus} possible CPUs\\)$`));
        expectMapError(() => map.perCpuBuffer([new Uint8Array(5)].slice(0, cpus - 1)), 'EINVAL', new RegExp(`per-CPU value: ${cpus - 1} values given; the map has ${cpus} possible CPUs$`));
      });
    }
  });

  describe('clear', function () {
    it('hash and per-CPU hash: every key deleted, the count returned', function () {
      for (const type of [MapType.HASH, MapType.PERCPU_HASH]) {
        using map = BpfMap.create({ type, keySize: 4, valueSize: 8, maxEntries: 64 });
        for (let i = 0; i < 40; i++) map.update(u32(i), map.perCpu ? map.perCpuBuffer(u64(BigInt(i))) : u64(BigInt(i)));
        expect(map.clear()).to.equal(40);
        expect([...map.keys()]).to.deep.equal([]);
        expect(map.clear()).to.equal(0);
      }
    });

    it('array and per-CPU array: every value zeroed on every CPU, the keys stay', function () {
      for (const type of [MapType.ARRAY, MapType.PERCPU_ARRAY]) {
        using map = BpfMap.create({ type, keySize: 4, valueSize: 12, maxEntries: 5 });
        const ones = new Uint8Array(12).fill(0xff);
        for (let i = 0; i < 5; i++) map.update(u32(i), map.perCpu ? map.perCpuBuffer(ones) : ones);
        expect(map.clear()).to.equal(5);
        const zero = hex(new Uint8Array(map.valueBufferSize));
        expect([...map.entries()].map(([k, v]) => [readU32(k), hex(v)])).to.deep.equal([0, 1, 2, 3, 4].map((i) => [i, zero]));
      }
    });

    it('queue: popped until empty; a bloom filter cannot be emptied', function () {
      using q = BpfMap.create({ type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 8 });
      for (let i = 0; i < 3; i++) q.push(u32(i));
      expect(q.clear()).to.equal(3);
      expect(q.peek()).to.equal(undefined);
      using bloom = BpfMap.create({ type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 8, name: 'ma_bloom_clr' });
      expectMapError(() => bloom.clear(), 'EINVAL', /clear: the map has no keys to delete and cannot be emptied$/);
    });

    it('a frozen array refuses, with the kernel\'s error', function () {
      using map = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
      map.freeze();
      expectMapError(() => map.clear(), 'EPERM', /update/);
    });
  });

  describe('other map types', function () {
    it('LRU hash evicts instead of failing when full', function () {
      using map = BpfMap.create({ type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 16, flags: MapCreateFlag.NO_COMMON_LRU });
      for (let i = 0; i < 200; i++) map.update(u32(i), u32(i));
      const n = [...map.keys()].length;
      expect(n).to.be.within(1, 16);
      expect(map.has(u32(199))).to.equal(true);
    });

    it('LPM trie answers longest-prefix lookups', function () {
      using map = BpfMap.create({ type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 8, flags: MapCreateFlag.NO_PREALLOC });
      const key = (prefix: number, a: number, b: number, c: number, d: number): Uint8Array => Uint8Array.of(...u32(prefix), a, b, c, d);
      map.update(key(8, 10, 0, 0, 0), u32(8));
      map.update(key(24, 10, 1, 2, 0), u32(24));
      expect(readU32(map.lookup(key(32, 10, 1, 2, 3)) as Uint8Array)).to.equal(24);
      expect(readU32(map.lookup(key(32, 10, 9, 9, 9)) as Uint8Array)).to.equal(8);
      expect(map.lookup(key(32, 11, 0, 0, 0))).to.equal(undefined);
      expect([...map.keys()].length).to.equal(2);
    });

    it('queue: FIFO push/peek/pop, E2BIG when full, BPF_EXIST overwrites the oldest', function () {
      using q = BpfMap.create({ type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 3, name: 'ma_queue' });
      expect(q.peek()).to.equal(undefined);
      expect(q.pop()).to.equal(undefined);
      for (const v of [1, 2, 3]) q.push(u32(v));
      expectMapError(() => q.push(u32(4)), 'E2BIG', /^map 'ma_queue' \(id \d+\): push: BPF_MAP_UPDATE_ELEM failed \(E2BIG\)/);
      q.push(u32(4), UpdateFlag.EXIST);
      expect(readU32(q.peek() as Uint8Array)).to.equal(2);
      const out = new Uint8Array(4);
      expect([2, 3, 4].map(() => readU32(q.pop(out) as Uint8Array))).to.deep.equal([2, 3, 4]);
      expect(q.pop()).to.equal(undefined);
    });

    it('stack: LIFO', function () {
      using s = BpfMap.create({ type: MapType.STACK, keySize: 0, valueSize: 4, maxEntries: 3 });
      for (const v of [1, 2, 3]) s.push(u32(v));
      expect(readU32(s.peek() as Uint8Array)).to.equal(3);
      expect([s.pop(), s.pop(), s.pop(), s.pop()].map((v) => (v === undefined ? undefined : readU32(v)))).to.deep.equal([3, 2, 1, undefined]);
    });

    it('bloom filter: push and contains (no false negatives)', function () {
      using bloom = BpfMap.create({ type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 100, mapExtra: 3n });
      for (let i = 0; i < 50; i++) bloom.push(u32(i * 7));
      for (let i = 0; i < 50; i++) expect(bloom.contains(u32(i * 7))).to.equal(true);
      let falsePositives = 0;
      for (let i = 0; i < 200; i++) if (bloom.contains(u32(1_000_000 + i))) falsePositives++;
      expect(falsePositives).to.be.below(100);
    });

    it('ring buffer: created, with its page-multiple size', function () {
      using rb = BpfMap.create({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 * 4, name: 'ma_ringbuf' });
      expect([rb.type, rb.maxEntries, rb.keySize, rb.valueSize]).to.deep.equal([MapType.RINGBUF, 16384, 0, 0]);
    });

    it('prog array: updateFd with a program, lookup returns its id', function () {
      using prog = loadTrivialProg();
      using map = BpfMap.create({ type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
      map.updateFd(u32(2), prog);
      expect(readU32(map.lookup(u32(2)) as Uint8Array)).to.equal(getProgInfo(prog).id);
      expect(map.lookup(u32(1))).to.equal(undefined);
      expect([...map.entries()].map(([k]) => readU32(k))).to.deep.equal([2]);
      expect(map.delete(u32(2))).to.equal(true);
    });

    it('array of maps: inner map template, updateFd, lookup returns the inner map id', function () {
      using inner = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: 'ma_inner' });
      using outer = BpfMap.create({ type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, innerMap: inner, name: 'ma_outer' });
      outer.updateFd(u32(1), inner);
      expect(readU32(outer.lookup(u32(1)) as Uint8Array)).to.equal(inner.id);
      using hom = BpfMap.create({ type: MapType.HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, innerMap: inner.fd });
      hom.updateFd(u32(9), inner.fd.fd);
      expect(readU32(hom.lookup(u32(9)) as Uint8Array)).to.equal(inner.id);
    });
  });

  describe('freeze, pin, open by id and pin', function () {
    const pinPath = `/sys/fs/bpf/bpf_ts_maps_test_${process.pid}`;
    afterEach(function () {
      if (existsSync(pinPath)) rmSync(pinPath);
    });

    it('freeze blocks syscall writes (EPERM) but not reads', function () {
      using map = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: 'ma_frozen' });
      map.update(u32(0), u32(5));
      map.freeze();
      expectMapError(() => map.update(u32(0), u32(6)), 'EPERM', /update key 00 00 00 00: BPF_MAP_UPDATE_ELEM failed \(EPERM\): Operation not permitted$/);
      expect(readU32(map.lookup(u32(0)) as Uint8Array)).to.equal(5);
      // A second freeze: the map is no longer writable from syscalls, so EPERM (before EBUSY).
      // Older kernels check "already frozen" first: EBUSY (seen on the kernel matrix's 6.1).
      const again = kernelAtLeast(6, 12) ? 'EPERM' : 'EBUSY';
      expectMapError(() => map.freeze(), again, new RegExp(`freeze: BPF_MAP_FREEZE failed \\(${again}\\)`));
    });

    it('pins, reopens by pin and id (same map), unpins', function () {
      using map = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4, name: 'ma_pinned' });
      map.update(u32(3), u32(33));
      map.pin(pinPath);
      expect(existsSync(pinPath)).to.equal(true);
      {
        using byPin = BpfMap.fromPin(pinPath);
        using byId = BpfMap.fromId(map.id);
        expect([byPin.id, byId.id, byPin.name, byPin.keySize, byPin.valueSize]).to.deep.equal([map.id, map.id, 'ma_pinned', 4, 4]);
        expect(readU32(byPin.lookup(u32(3)) as Uint8Array)).to.equal(33);
        byId.update(u32(4), u32(44));
        expect(readU32(map.lookup(u32(4)) as Uint8Array)).to.equal(44);
      }
      map.unpin(pinPath);
      expect(existsSync(pinPath)).to.equal(false);
    });

    it('read-only opens refuse writes', function () {
      using map = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
      using ro = BpfMap.fromId(map.id, { flags: MapCreateFlag.RDONLY });
      expectMapError(() => ro.update(u32(1), u32(1)), 'EPERM', /BPF_MAP_UPDATE_ELEM failed \(EPERM\)/);
    });

    it('fromFd refuses a non-map fd and closes it', function () {
      const prog = loadTrivialProg();
      let caught: unknown;
      try {
        BpfMap.fromFd(prog);
      } catch (e) {
        caught = e;
      }
      expect(caught).to.be.instanceOf(MapError);
      expect((caught as Error).message).to.match(/^map id 0: BPF_OBJ_GET_INFO_BY_FD: prog ma_trivial is not a BPF map: it is a prog object$/);
      expect(prog.closed).to.equal(true);
    });

    it('errors: unknown id, a pinned program, pinning twice, unpinning a foreign pin', function () {
      expect(() => BpfMap.fromId(0x7fff_fff0)).to.throw(ObjectNotFoundError);
      using prog = loadTrivialProg();
      objPin(prog, pinPath);
      let caught: unknown;
      try {
        BpfMap.fromPin(pinPath);
      } catch (e) {
        caught = e;
      }
      expect(caught).to.be.instanceOf(MapError);
      expect((caught as Error).message).to.equal(`map id 0: open pinned: ${pinPath} is a prog object, not a map`);
      using map = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4, name: 'ma_pin2' });
      expectMapError(() => map.unpin(pinPath), 'EINVAL', new RegExp(`unpin ${pinPath}: ${pinPath} is not a pin of this map$`));
      const e = expectMapError(() => map.pin(pinPath), 'EEXIST', /pin \/sys\/fs\/bpf\/\S+: BPF_OBJ_PIN .* failed \(EEXIST\)/);
      expect(e.cause).to.be.instanceOf(SysError);
    });
  });
});
