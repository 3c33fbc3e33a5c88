import { expect } from 'chai';
import { CodecError } from '../../src/btf/codec/index.js';
import { BpfMap, MapError, typedMap } from '../../src/maps/index.js';
import { possibleCpus } from '../../src/sys/index.js';
import { MapType, type OwnedFd } from '../../src/sys/index.js';
import type { Btf } from '../../src/btf/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { loadValuesBtf, openFds, typeIdOf } from './fixtures.js';

interface Key {
  pid: number;
  comm: string;
}

describe('typed maps (BTF key/value codecs) against the kernel', function () {
  let btf: Btf;
  let btfFd: OwnedFd;
  let fdsBefore = 0;
  before(function () {
    requirePrivileges(this);
    fdsBefore = openFds();
    ({ btf, fd: btfFd } = loadValuesBtf());
  });
  after(function () {
    btfFd?.close();
    // At most: finalizers of other suites' forgotten fds may close some meanwhile.
    if (fdsBefore !== 0) expect(openFds(), 'fds leaked').to.be.at.most(fdsBefore);
  });

  function create(type: number, key: string | undefined, value: string, maxEntries = 8): BpfMap {
    const keyId = key === undefined ? 0 : key === 'u32' ? typeIdOf(btf, 'unsigned int', 'INT') : typeIdOf(btf, key);
    const valueId = value === 'u32' ? typeIdOf(btf, 'unsigned int', 'INT') : typeIdOf(btf, value);
    return BpfMap.create({
      type,
      keySize: keyId === 0 ? 0 : btf.sizeOf(keyId),
      valueSize: btf.sizeOf(valueId),
      maxEntries,
      name: 'ma_typed',
      btfFd: btfFd.fd,
      btfKeyTypeId: keyId,
      btfValueTypeId: valueId,
    });
  }

  const value = {
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
    se: 5,
    sh: 65535,
    pl: 1,
    s32e: 100,
    be: 1n,
    ne: -0x100000000n,
    ptr: 0n,
    s64: -1n,
    s8: 127,
    b: false,
    f: 0.25,
    d: 1e300,
    u128: (1n << 128n) - 1n,
    cv: 9,
    matrix: [
      [0, 0, 0],
      [1, 1, 1],
    ],
    raw: Uint8Array.of(1, 2, 3, 4, 5),
  };

  it("round-trips struct keys and values through the map's own BTF (map.typed())", function () {
    using map = create(MapType.HASH, 'ma_key', 'ma_value');
    const typed = map.typed<Key, typeof value>();
    typed.set({ pid: 1, comm: 'init' }, value);
    const back = typed.get({ pid: 1, comm: 'init' });
    // The union reads back through both members.
    expect(back).to.deep.equal({ ...value, bytes4: Uint8Array.of(4, 3, 2, 1) });
    expect(typed.get({ pid: 2, comm: 'init' })).to.equal(undefined);
    expect(typed.has({ pid: 1, comm: 'init' })).to.equal(true);
    expect([...typed.keys()]).to.deep.equal([{ pid: 1, comm: 'init' }]);
    expect([...typed.entries()].map(([k]) => k)).to.deep.equal([{ pid: 1, comm: 'init' }]);
    expect(typed.delete({ pid: 1, comm: 'init' })).to.equal(true);
    expect(typed.delete({ pid: 1, comm: 'init' })).to.equal(false);
  });

  it('writes the bytes the codec of the same type produces (typed and byte views agree)', function () {
    using map = create(MapType.ARRAY, 'u32', 'ma_bits', 2);
    const typed = typedMap<number, Record<string, unknown>>(map, { btf });
    typed.set(1, { x: 7, y: -16, z: 1n, flag: true, t: 'TINY_A', after: 0xffffffff });
    const raw = map.lookup(Uint8Array.of(1, 0, 0, 0)) as Uint8Array;
    expect(Buffer.from(raw).toString('hex')).to.equal(Buffer.from(typed.valueCodec.encode({ x: 7, y: -16, z: 1n, flag: true, t: 1, after: 0xffffffff })).toString('hex'));
    expect(typed.get(1)).to.deep.equal({ x: 7, y: -16, z: 1n, flag: true, t: 1, after: 0xffffffff });
    expect(typedMap(map, { btf, enums: 'name' }).get(1)).to.deep.include({ t: 'TINY_A' });
  });

  it('per-CPU: one value for every CPU, or one per CPU', function () {
    using map = create(MapType.PERCPU_ARRAY, 'u32', 'ma_packed', 2);
    const typed = map.typed<number, { a: number; b: number; c: number }>();
    const cpus = possibleCpus().length;
    typed.set(0, { a: 1, b: 2, c: 3 });
    expect(typed.getPerCpu(0)).to.deep.equal(Array.from({ length: cpus }, () => ({ a: 1, b: 2, c: 3 })));
    const each = Array.from({ length: cpus }, (_, i) => ({ a: i, b: i * 1000, c: 65535 - i }));
    typed.set(1, each);
    expect(typed.getPerCpu(1)).to.deep.equal(each);
    expect([...typed.entries()].find(([k]) => k === 1)?.[1]).to.deep.equal(each);
    expect(() => typed.get(0)).to.throw(MapError, /get: per-CPU map: use getPerCpu\(\)$/);
    expect(() => typed.set(0, each.slice(1))).to.throw(MapError, new RegExp(`set: ${cpus - 1} per-CPU values given; the map has ${cpus} possible CPUs$`));
  });

  it('queue values without a key type (BTF passed in: the kernel takes no BTF for queues)', function () {
    using map = BpfMap.create({ type: MapType.QUEUE, keySize: 0, valueSize: 16, maxEntries: 2 });
    const typed = map.typed<never, { a: number; b: bigint }>({ btf, valueTypeId: typeIdOf(btf, 'ma_inner') });
    typed.push({ a: 1, b: 10n });
    typed.push({ a: 2, b: 20n });
    expect(typed.peek()).to.deep.equal({ a: 1, b: 10n });
    expect([typed.pop(), typed.pop(), typed.pop()]).to.deep.equal([{ a: 1, b: 10n }, { a: 2, b: 20n }, undefined]);
    expect([...typed.keys()]).to.deep.equal([]);
    expect(() => typed.get(undefined as never)).to.throw(MapError, /typed key: the map has no keys \(use push\/pop\/peek\)$/);
  });

  it('refuses values the type cannot hold with a CodecError naming the field', function () {
    using map = create(MapType.HASH, 'ma_key', 'ma_inner');
    const typed = map.typed<Key, { a: number; b: bigint }>();
    expect(() => typed.set({ pid: 1, comm: 'x' }, { a: -1, b: 0n })).to.throw(CodecError, /^struct ma_inner at \.a: -1 does not fit u16/);
    expect(() => typed.set({ pid: 1, comm: 'much too long' }, { a: 1, b: 0n })).to.throw(CodecError, /^struct ma_key at \.comm: 'much too long' is 13 bytes; char\[8\] holds 8$/);
  });

  it('errors: no BTF, no types, sizes that disagree', function () {
    using plain = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 16, maxEntries: 2, name: 'ma_nobtf' });
    expect(() => plain.typed()).to.throw(MapError, /^map 'ma_nobtf' \(id \d+\): load BTF: the map has no BTF \(btf_id 0\): pass \{ btf, keyTypeId, valueTypeId \}$/);
    expect(() => typedMap(plain, { btf })).to.throw(MapError, /typed view: no BTF value type: pass valueTypeId$/);
    expect(() => typedMap(plain, { btf, valueTypeId: typeIdOf(btf, 'ma_inner') })).to.throw(MapError, /typed view: no BTF key type: pass keyTypeId$/);
    expect(() => typedMap(plain, { btf, keyTypeId: typeIdOf(btf, 'ma_key'), valueTypeId: typeIdOf(btf, 'ma_inner') })).to.throw(MapError, /typed view: key type struct ma_key is 12 bytes; key_size is 4$/);
    expect(() => typedMap(plain, { btf, keyTypeId: typeIdOf(btf, 'unsigned int', 'INT'), valueTypeId: typeIdOf(btf, 'ma_packed') })).to.throw(MapError, /typed view: value type struct ma_packed is 7 bytes; value_size is 16$/);
  });
});
