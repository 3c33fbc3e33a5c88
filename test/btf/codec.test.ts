import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBtf, fixupDatasecs, parseBtf, type Btf, type BtfType } from '../../src/btf/index.js';
import { CodecError, createBtfCodec } from '../../src/btf/codec/index.js';
import { parseElf } from '../../src/elf/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { datasecFactsOf } from './elf-facts.js';

const VALUES_OBJ = join(BPF_DIR, 'maps-api', 'values.bpf.o');

/** The object's BTF with DATASECs fixed up from the ELF (offsets = symbol values), and its `.data` bytes. */
function loadValuesObject(): { btf: Btf; data: Uint8Array } {
  const elf = parseElf(readFileSync(VALUES_OBJ), { machines: 'any' });
  const raw = elf.sectionByName('.BTF');
  const data = elf.sectionByName('.data');
  if (raw === undefined || data === undefined) throw new Error('values.bpf.o lacks .BTF or .data');
  const fixed = fixupDatasecs(parseBtf(raw.data()), datasecFactsOf(VALUES_OBJ));
  return { btf: parseBtf(encodeBtf(fixed)), data: data.data() };
}

function typeId(btf: Btf, name: string, kind: 'STRUCT' | 'DATASEC' | 'ENUM' | 'ENUM64' | 'TYPEDEF' = 'STRUCT'): number {
  const [id] = btf.findByName(name, kind);
  if (id === undefined) throw new Error(`no ${kind} ${name}`);
  return id;
}

/** `struct ma_value data_value` exactly as the C initialiser in values.bpf.c writes it. */
const DATA_VALUE = {
  id: 0xdeadbeef,
  name: 'hello',
  in: { a: 0x1234, b: 0x1122334455667788n },
  bf: { x: 5, y: -7, z: 0xabcdef0123n, flag: true, t: 1, after: 77 },
  word: 0x04030201,
  bytes4: Uint8Array.of(1, 2, 3, 4),
  sx: -2,
  sy: 300,
  pk: { a: 0xaa, b: 0xbbccddee, c: 0x1122 },
  arr: [
    { a: 1, b: 2n },
    { a: 3, b: 0xffffffffffffffffn },
  ],
  te: 200,
  se: -3,
  sh: 1000,
  pl: 0xfffffff0,
  s32e: -100,
  be: 0x123456789abcn,
  ne: -0x100000000n,
  ptr: 0x7fff0000n,
  s64: -1234567890123n,
  s8: -128,
  b: true,
  f: 1.5,
  d: -2.25,
  u128: (0x0102030405060708n << 64n) | 0x090a0b0c0d0e0f10n,
  cv: 42,
  matrix: [
    [1, -2, 3],
    [-4, 5, -6],
  ],
  raw: Uint8Array.of(9, 8, 7, 6, 5),
};

describe('btf codec (createBtfCodec) against clang layouts', function () {
  const { btf, data } = loadValuesObject();
  const sec = btf.typeById(typeId(btf, '.data', 'DATASEC'));
  if (sec.kind !== 'DATASEC') throw new Error('not a DATASEC');

  it('decodes every .data initialiser to the values the C source wrote', function () {
    const codec = createBtfCodec<Record<string, unknown>>(btf, sec.id);
    expect(codec.size).to.equal(data.byteLength);
    const decoded = codec.decode(data);
    expect(decoded['data_value']).to.deep.equal(DATA_VALUE);
    expect(decoded['data_key']).to.deep.equal({ pid: 4242, comm: 'bash' });
    expect(decoded['data_bits']).to.deep.equal({ x: 7, y: 15, z: 1n, flag: false, t: 1, after: 0xffffffff });
    expect(decoded['data_packed']).to.deep.equal({ a: 1, b: 0x02030405, c: 0x0607 });
    expect(decoded['data_neg64']).to.equal(1n);
  });

  it('re-encodes the decoded section to the same bytes (padding zero, unions and bitfields intact)', function () {
    const codec = createBtfCodec(btf, sec.id);
    expect(Buffer.from(codec.encode(codec.decode(data))).equals(Buffer.from(data))).to.equal(true);
  });

  it('encodes the C initialiser values into the bytes clang emitted for each variable', function () {
    const vars = new Map(sec.vars.map((v) => [btf.typeById(v.type).name, v] as const));
    const check = (name: string, structName: string, value: unknown): void => {
      const v = vars.get(name);
      if (v === undefined) throw new Error(`no var ${name}`);
      const codec = createBtfCodec(btf, typeId(btf, structName));
      expect(codec.size, `${name} size`).to.equal(v.size);
      const encoded = codec.encode(value);
      expect(Buffer.from(encoded).toString('hex'), name).to.equal(Buffer.from(data.subarray(v.offset, v.offset + v.size)).toString('hex'));
    };
    // The union is given through one member only: encoding must produce the same bytes.
    const { bytes4: _dropped, ...viaWord } = DATA_VALUE;
    check('data_value', 'ma_value', viaWord);
    check('data_key', 'ma_key', { pid: 4242, comm: 'bash' });
    check('data_bits', 'ma_bits', { x: 7, y: 15, z: 1n, flag: false, t: 'TINY_A', after: 0xffffffff });
    check('data_packed', 'ma_packed', { a: 1, b: 0x02030405, c: 0x0607 });
  });

  it('takes sizes and member offsets from the BTF clang emitted (packed, padding, anonymous members)', function () {
    expect(createBtfCodec(btf, typeId(btf, 'ma_packed')).size).to.equal(7);
    expect(createBtfCodec(btf, typeId(btf, 'ma_inner')).size).to.equal(16);
    expect(createBtfCodec(btf, typeId(btf, 'ma_inner_t', 'TYPEDEF')).size).to.equal(16);
    // A value with one distinct byte pattern per field lands where the BTF says each member is.
    const inner = createBtfCodec(btf, typeId(btf, 'ma_inner'));
    const bytes = inner.encode({ a: 0x0201, b: 0x0a09080706050403n });
    expect(Array.from(bytes)).to.deep.equal([1, 2, 0, 0, 0, 0, 0, 0, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('decodes enums by name on request, and 64-bit enums as bigint', function () {
    const codec = createBtfCodec<Record<string, unknown>>(btf, sec.id, { enums: 'name' });
    const v = codec.decode(data)['data_value'] as Record<string, unknown>;
    expect([v['te'], v['se'], v['sh'], v['pl'], v['s32e'], v['be'], v['ne']]).to.deep.equal([
      'TINY_B',
      'STINY_NEG',
      'SHORTY_K',
      'PLAIN_BIG',
      'S32_NEG',
      'BIG64_HUGE',
      'NEG64_LOW',
    ]);
    const raw = createBtfCodec<Record<string, unknown>>(btf, sec.id, { charArrays: 'bytes' }).decode(data)['data_key'] as Record<string, unknown>;
    expect(raw['comm']).to.deep.equal(Uint8Array.of(0x62, 0x61, 0x73, 0x68, 0, 0, 0, 0));
  });

  it('writes into a caller buffer at an offset, zeroing what the value does not cover', function () {
    const codec = createBtfCodec(btf, typeId(btf, 'ma_key'));
    const buf = new Uint8Array(20).fill(0xff);
    codec.encode({ pid: 1, comm: 'ab' }, buf, 4);
    expect(Array.from(buf)).to.deep.equal([255, 255, 255, 255, 1, 0, 0, 0, 0x61, 0x62, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255]);
    expect(codec.decode(buf, 4)).to.deep.equal({ pid: 1, comm: 'ab' });
  });
});

describe('btf codec: bitfields without kind_flag (INT bits/offset encoding)', function () {
  // struct s { unsigned x:3 (INT bits 3); int y:5 at bit 3 (INT bits 5, signed); u16 z at 16; }
  // and the same struct with kind_flag and bitfield sizes on the members.
  const types: BtfType[] = [
    { id: 1, kind: 'INT', name: 'unsigned int', size: 4, encoding: 0, bitOffset: 0, bits: 32 },
    { id: 2, kind: 'INT', name: 'unsigned int', size: 4, encoding: 0, bitOffset: 0, bits: 3 },
    { id: 3, kind: 'INT', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 5 },
    { id: 4, kind: 'INT', name: 'unsigned short', size: 2, encoding: 0, bitOffset: 0, bits: 16 },
    {
      id: 5, kind: 'STRUCT', name: 'old', size: 4, kindFlag: false,
      members: [
        { name: 'x', type: 2, bitOffset: 0, bitfieldSize: 0 },
        { name: 'y', type: 3, bitOffset: 3, bitfieldSize: 0 },
        { name: 'z', type: 4, bitOffset: 16, bitfieldSize: 0 },
      ],
    },
    { id: 6, kind: 'INT', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 },
    {
      id: 7, kind: 'STRUCT', name: 'new', size: 4, kindFlag: true,
      members: [
        { name: 'x', type: 1, bitOffset: 0, bitfieldSize: 3 },
        { name: 'y', type: 6, bitOffset: 3, bitfieldSize: 5 },
        { name: 'z', type: 4, bitOffset: 16, bitfieldSize: 0 },
      ],
    },
  ];
  const btf = parseBtf(encodeBtf(types));

  it('reads the same fields either way', function () {
    // x = 0b101, y = -3 (0b11101), z = 0xbeef
    const bytes = Uint8Array.of(0b11101101, 0, 0xef, 0xbe);
    const expected = { x: 5, y: -3, z: 0xbeef };
    expect(createBtfCodec(btf, 5).decode(bytes)).to.deep.equal(expected);
    expect(createBtfCodec(btf, 7).decode(bytes)).to.deep.equal(expected);
    expect(Array.from(createBtfCodec(btf, 5).encode(expected))).to.deep.equal(Array.from(bytes));
    expect(Array.from(createBtfCodec(btf, 7).encode(expected))).to.deep.equal(Array.from(bytes));
  });

  it('refuses a bitfield value that does not fit, naming the field', function () {
    const codec = createBtfCodec(btf, 7);
    expect(() => codec.encode({ x: 8, y: 0, z: 0 }))
      .to.throw(CodecError, /struct new at \.x: 8 does not fit 3-bit bitfield \(0\.\.7\)/)
      .with.property('path', '.x');
    expect(() => codec.encode({ x: 0, y: -17, z: 0 })).to.throw(CodecError, /at \.y: -17 does not fit 5-bit bitfield \(-16\.\.15\)/);
  });
});

describe('btf codec errors (CodecError)', function () {
  const { btf } = loadValuesObject();
  const value = createBtfCodec(btf, typeId(btf, 'ma_value'));
  const key = createBtfCodec(btf, typeId(btf, 'ma_key'));
  const base = { ...DATA_VALUE } as Record<string, unknown>;

  const cases: ReadonlyArray<readonly [string, () => unknown, RegExp, string]> = [
    ['integer out of range', () => key.encode({ pid: -1, comm: '' }), /struct ma_key at \.pid: -1 does not fit u32 'unsigned int' \(0\.\.4294967295\)/, '.pid'],
    ['non-integer', () => key.encode({ pid: 1.5, comm: '' }), /at \.pid: 1\.5 is not an integer/, '.pid'],
    ['missing member', () => key.encode({ pid: 1 }), /struct ma_key: missing member 'comm'/, ''],
    ['unknown member', () => key.encode({ pid: 1, comm: '', extra: 1 }), /struct ma_key: unknown member 'extra'/, ''],
    ['string too long', () => key.encode({ pid: 1, comm: '123456789' }), /at \.comm: '123456789' is 9 bytes; char\[8\] holds 8/, '.comm'],
    ['not an object', () => key.encode(42), /struct ma_key: expected an object for struct ma_key, got 42/, ''],
    ['array length', () => value.encode({ ...base, matrix: [[1, 2, 3]] }), /struct ma_value at \.matrix: expected 2 elements, got 1/, '.matrix'],
    ['nested array element', () => value.encode({ ...base, matrix: [[1, 2, 3], [4, 5, 'x']] }), /at \.matrix\[1\]\[2\]: expected an integer for s32 'int', got 'x'/, '.matrix[1][2]'],
    ['nested struct member', () => value.encode({ ...base, arr: [{ a: 1, b: 2n }, { a: 70000, b: 0n }] }), /at \.arr\[1\]\.a: 70000 does not fit u16/, '.arr[1].a'],
    ['unknown enumerator', () => value.encode({ ...base, te: 'NOPE' }), /at \.te: 'NOPE' is not an enumerator of enum ma_tiny/, '.te'],
    ['enum out of range', () => value.encode({ ...base, te: 256 }), /at \.te: 256 does not fit enum ma_tiny \(0\.\.255\)/, '.te'],
    ['anonymous union with no member', () => value.encode({ ...base, word: undefined, bytes4: undefined }), /struct ma_value: union needs one of 'word', 'bytes4'/, ''],
    ['byte array too long', () => value.encode({ ...base, raw: new Uint8Array(6) }), /at \.raw: a Uint8Array of 6 is longer than the 5 bytes/, '.raw'],
    ['float given a string', () => value.encode({ ...base, f: '1' }), /at \.f: expected a number for a 32-bit float, got '1'/, '.f'],
    ['buffer too short to decode', () => key.decode(new Uint8Array(11)), /struct ma_key: needs 12 bytes at offset 0; the buffer has 11/, ''],
    ['buffer too short to encode into', () => key.encode({ pid: 1, comm: '' }, new Uint8Array(12), 1), /needs 12 bytes at offset 1; the buffer has 12/, ''],
  ];
  for (const [what, run, message, path] of cases) {
    it(`${what}: ${message.source.slice(0, 40)}...`, function () {
      let caught: unknown;
      try {
        run();
      } catch (e) {
        caught = e;
      }
      expect(caught).to.be.instanceOf(CodecError);
      expect((caught as CodecError).message).to.match(message);
      expect((caught as CodecError).path).to.equal(path);
    });
  }

  it('refuses types without a value (void, FUNC, FWD) when the codec is created', function () {
    const types: BtfType[] = [
      { id: 1, kind: 'FWD', name: 'opaque', union: false },
      { id: 2, kind: 'PTR', name: '', type: 1 },
      { id: 3, kind: 'STRUCT', name: 'holder', size: 8, kindFlag: false, members: [{ name: 'o', type: 1, bitOffset: 0, bitfieldSize: 0 }] },
    ];
    const crafted = parseBtf(encodeBtf(types));
    expect(() => createBtfCodec(crafted, 1)).to.throw(CodecError, /^opaque: BTF_KIND_FWD has no value representation$/);
    expect(() => createBtfCodec(crafted, 3)).to.throw(CodecError, /^struct holder at \.o: BTF_KIND_FWD has no value representation$/);
    expect(() => createBtfCodec(crafted, 0)).to.throw(CodecError, /void has no value/);
    // A pointer to an opaque type is still a value: its address.
    expect(createBtfCodec(crafted, 2).decode(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0x80))).to.equal(0x8000000000000001n);
  });
});
