import { expect } from 'chai';
import { CodecError, SkeletonError } from '../../src/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import {
  LE16,
  LE32,
  LE64,
  LE8,
  LSe16,
  LSe32,
  LSe64,
  LSe8,
  LayoutSkeleton,
  type LAlign,
  type LArrays,
  type LBits,
  type LEnums,
  type LNested,
  type LPackedOuter,
  type LPadding,
  type LayoutBss,
} from './generated/layout.skel.js';

/*
 * bpf/skel/layout.bpf.c, through its generated skeleton: the C side fills every layout rule's
 * struct with known values (`fill`) and checks values written from TypeScript (`check`, one
 * failure bit per field). The expected values below are written independently of the C ones.
 */

const padding: LPadding = { c: 0x50, u64: 0x1122334455667788n, u16: 0xbeef, u32: 0xdeadbeef, u8: 0xa5, s64: -1234567890123456789n, tail: 0x54 };
const align: LAlign = { a: 0x11, b: 0x8877665544332211n, c: 0x3344, nested: { x: 0x55, y: 0x66778899 }, last: 0x77 };
const bits: LBits = { a: 1, b: 5, c: -11, d: 0x1abc, e: 0x1fedcba98n, f: -0x7edcba9876n, g: true, h: LE8.E8_B, i: 0x5a, j: 0xc3, k: 0x1a5, l: -2 };
const nested: LNested = {
  id: 42,
  pair: { lo: 0x1111, hi: 0x2222 },
  u: { word: 0x04030201, bytes: Uint8Array.of(1, 2, 3, 4) },
  x: 0x7f,
  y: 0xfffe,
  sy: -2,
  big: (0x0badc0den << 32n) | 0xcafef00dn,
  lo32: 0xcafef00d,
  hi32: 0x0badc0de,
};
const arrays: LArrays = {
  pts: [
    { x: -1, y: 2, tag: 3 },
    { x: 2147483647, y: -2147483648, tag: 0xff },
    { x: 0, y: 9, tag: 10 },
  ],
  grid: [
    [1, 2, 3],
    [400, 500, 65535],
  ],
  name: 'layout',
  raw: Uint8Array.of(0, 1, 0x80, 0xfe, 0xff, 7),
  wide: [-9000000000000000000n, 9000000000000000000n],
};
const enums: LEnums = {
  e8: LE8.E8_B,
  se8: LSe8.SE8_NEG,
  e16: LE16.E16_B,
  se16: LSe16.SE16_NEG,
  e32: LE32.E32_B,
  se32: LSe32.SE32_NEG,
  e64: LE64.E64_B,
  se64: LSe64.SE64_NEG,
};
const packed: LPackedOuter = { tag: 0xab, p: { a: 1, b: 0x0203040506070809n, c: 0x0a0b, d: 0x0c0d0e0f }, after: 0x10111213, flag: true };

type Rule = 'padding' | 'align' | 'bits' | 'nested' | 'arrays' | 'enums' | 'packed';
const expected = { padding, align, bits, nested, arrays, enums, packed } as const;
const rules = Object.keys(expected) as Rule[];

/** Field-by-field comparison with the path in every failure message. */
function expectFields(actual: unknown, want: unknown, path: string): void {
  if (want instanceof Uint8Array || typeof want !== 'object' || want === null) {
    expect(actual, path).to.deep.equal(want);
    return;
  }
  if (Array.isArray(want)) {
    expect(actual, path).to.be.an('array').with.length(want.length);
    want.forEach((w, i) => expectFields((actual as unknown[])[i], w, `${path}[${i}]`));
    return;
  }
  expect(Object.keys(actual as object).sort(), `${path} members`).to.deep.equal(Object.keys(want).sort());
  for (const [k, w] of Object.entries(want)) expectFields((actual as Record<string, unknown>)[k], w, `${path}.${k}`);
}

function inputs(bss: LayoutBss, values: typeof expected): void {
  bss.in_padding = values.padding;
  bss.in_align = values.align;
  bss.in_bits = values.bits;
  bss.in_nested = values.nested;
  bss.in_arrays = values.arrays;
  bss.in_enums = values.enums;
  bss.in_packed = values.packed;
}

function fails(bss: LayoutBss): Record<Rule, bigint> {
  return {
    padding: bss.fails_padding,
    align: bss.fails_align,
    bits: bss.fails_bits,
    nested: bss.fails_nested,
    arrays: bss.fails_arrays,
    enums: bss.fails_enums,
    packed: bss.fails_packed,
  };
}

const noFails: Record<Rule, bigint> = { padding: 0n, align: 0n, bits: 0n, nested: 0n, arrays: 0n, enums: 0n, packed: 0n };

/** The fields of each rule in the order of the C FIELDS lists: index N is bit N of `fails_<rule>`. */
const FIELDS: Record<Rule, readonly string[]> = {
  padding: ['c', 'u64', 'u16', 'u32', 'u8', 's64', 'tail'],
  align: ['a', 'b', 'c', 'nested.x', 'nested.y', 'last'],
  bits: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'],
  nested: ['id', 'pair.lo', 'pair.hi', 'u.word', 'x', 'sy', 'lo32', 'hi32'],
  arrays: [
    ...[0, 1, 2].flatMap((i) => [`pts[${i}].x`, `pts[${i}].y`, `pts[${i}].tag`]),
    ...[0, 1].flatMap((r) => [0, 1, 2].map((c) => `grid[${r}][${c}]`)),
    ...[0, 1, 2, 3, 4, 5, 6].map((i) => `name[${i}]`),
    ...[0, 1, 2, 3, 4, 5].map((i) => `raw[${i}]`),
    'wide[0]',
    'wide[1]',
  ],
  enums: ['e8', 'se8', 'e16', 'se16', 'e32', 'se32', 'e64', 'se64'],
  packed: ['tag', 'p.a', 'p.b', 'p.c', 'p.d', 'after', 'flag'],
};

/** `nested` written through one member of each union, so changing that member is not overwritten by a sibling. */
const nestedMinimal: LNested = { id: 42, pair: { lo: 0x1111, hi: 0x2222 }, u: { word: 0x04030201 }, x: 0x7f, sy: -2, lo32: 0xcafef00d, hi32: 0x0badc0de };

/** A copy of `value` with the field at `path` changed to a different value of the same width. */
function perturb<T>(value: T, path: string): T {
  const copy = structuredClone(value) as Record<string, unknown>;
  const segments = [...path.matchAll(/\w+|\[(\d+)\]/g)].map((m) => (m[1] === undefined ? m[0] : Number(m[1])));
  let parent: Record<string | number, unknown> = copy;
  for (const seg of segments.slice(0, -1)) {
    const next = parent[seg];
    if (typeof next === 'string' || next instanceof Uint8Array) break;
    parent = next as Record<string | number, unknown>;
  }
  const last = segments[segments.length - 1]!;
  const owner = segments.length >= 2 && typeof segments[segments.length - 1] === 'number' ? segments[segments.length - 2]! : undefined;
  const held = owner === undefined ? undefined : parent[owner];
  if (typeof held === 'string') {
    const i = last as number;
    parent[owner!] = i >= held.length ? `${held}X` : `${held.slice(0, i)}${held[i] === 'Q' ? 'R' : 'Q'}${held.slice(i + 1)}`;
  } else if (held instanceof Uint8Array) {
    held[last as number] = (held[last as number]! ^ 1) & 0xff;
  } else {
    const v = parent[last];
    if (typeof v === 'boolean') parent[last] = !v;
    else if (typeof v === 'bigint') parent[last] = v % 2n === 0n ? v + 1n : v - 1n;
    else if (typeof v === 'number') parent[last] = v % 2 === 0 ? v + 1 : v - 1;
    else throw new Error(`cannot perturb ${path}: ${String(v)}`);
  }
  return copy as T;
}

describe('skeleton layout: C structs <-> generated TypeScript types through BTF codecs', function () {
  let skel: LayoutSkeleton;

  before(function () {
    requirePrivileges(this);
    skel = LayoutSkeleton.open();
    skel.load();
    expect(skel.programs.fill.testRun().retval).to.equal(0);
  });

  after(() => skel?.close());

  it('clang and the codecs agree on every struct size', () => {
    const codecs = skel.spec.btf!;
    const names = ['l_padding', 'l_align', 'l_bits', 'l_nested', 'l_arrays', 'l_enums', 'l_packed_outer'];
    const sizes = names.map((n) => codecs.sizeOf(codecs.findByName(n, 'STRUCT')[0]!));
    expect(skel.bss.sizes).to.deep.equal(sizes);
    // Layouts the rules must produce (x86-64 SysV / BPF): tail padding, over-alignment, packing.
    expect(sizes).to.deep.equal([48, 48, 24, 24, 88, 32, 21]);
  });

  for (const rule of rules) {
    it(`C -> TS: ${rule}, field by field`, () => {
      const bss = skel.bss as unknown as Record<string, unknown>;
      expectFields(bss[`out_${rule}`], expected[rule], rule);
    });
  }

  it('C -> TS -> bytes: re-encoding a decoded value gives the bytes C wrote', () => {
    const memory = skel.object.globalData('layout.bss');
    for (const v of skel.spec.dataSections.find((d) => d.name === '.bss')!.variables) {
      if (!v.name.startsWith('out_')) continue;
      const before = memory.slice(v.offset, v.offset + v.size);
      const bss = skel.bss as unknown as Record<string, unknown>;
      bss[v.name] = bss[v.name];
      expect(memory.slice(v.offset, v.offset + v.size), v.name).to.deep.equal(before);
    }
  });

  it('a typed hash map: struct key and value through the generated types', () => {
    expect(skel.maps.by_point.get({ x: 1, y: 2, tag: 3 })).to.deep.equal(enums);
    expect(skel.maps.by_point.get({ x: 1, y: 2, tag: 4 })).to.equal(undefined);
    expect([...skel.maps.by_point.keys()]).to.deep.equal([{ x: 1, y: 2, tag: 3 }]);
  });

  it('TS -> C: values written from TypeScript are what C expects, field by field', () => {
    const before = skel.bss.checks;
    inputs(skel.bss, expected);
    expect(skel.programs.check.testRun().retval).to.equal(0);
    expect(skel.bss.checks).to.equal(before + 1);
    expect(fails(skel.bss)).to.deep.equal(noFails);
  });

  it('TS -> C: unions written through one member (the others follow from the bytes)', () => {
    inputs(skel.bss, expected);
    skel.bss.in_nested = { id: 42, pair: { lo: 0x1111, hi: 0x2222 }, u: { word: 0x04030201 }, x: 0x7f, sy: -2, lo32: 0xcafef00d, hi32: 0x0badc0de };
    skel.programs.check.testRun();
    expect(fails(skel.bss)).to.deep.equal(noFails);
  });

  it('TS -> C: one wrong field sets exactly its bit (the check can fail)', () => {
    const wrong = {
      ...expected,
      padding: { ...padding, tail: 0x55 },
      align: { ...align, nested: { x: 0x55, y: 0x66778898 } },
      bits: { ...bits, c: -10 },
      nested: { ...nested, hi32: 0x0badc0df, big: undefined as unknown as bigint },
      arrays: { ...arrays, wide: [arrays.wide[0]!, 1n] },
      enums: { ...enums, se64: LSe64.SE64_POS },
      packed: { ...packed, flag: false },
    };
    inputs(skel.bss, wrong);
    skel.programs.check.testRun();
    expect(fails(skel.bss)).to.deep.equal({ padding: 1n << 6n, align: 1n << 4n, bits: 1n << 2n, nested: 1n << 7n, arrays: 1n << 29n, enums: 1n << 7n, packed: 1n << 6n });
  });

  for (const rule of rules) {
    it(`TS -> C: ${rule}, every field changed alone sets exactly its own bit`, () => {
      const base = { ...expected, nested: nestedMinimal };
      FIELDS[rule].forEach((path, bit) => {
        inputs(skel.bss, { ...base, [rule]: perturb(base[rule], path) });
        skel.programs.check.testRun();
        expect(fails(skel.bss), `${rule}.${path}`).to.deep.equal({ ...noFails, [rule]: 1n << BigInt(bit) });
      });
    });
  }

  it('refuses values that do not fit, leaving the variable as it was', () => {
    inputs(skel.bss, expected);
    expect(() => (skel.bss.in_bits = { ...bits, c: 16 })).to.throw(CodecError, "var in_bits at .c: 16 does not fit 5-bit bitfield (-16..15)");
    expect(() => (skel.bss.in_arrays = { ...arrays, name: 'a name longer than 16' })).to.throw(CodecError, /^var in_arrays at \.name: .* is 21 bytes; char\[16\] holds 16$/);
    expectFields(skel.bss.in_bits, bits, 'in_bits');
    expectFields(skel.bss.in_arrays, arrays, 'in_arrays');
  });

  it('maps and programs before load, and anything after close, are SkeletonErrors', () => {
    const fresh = LayoutSkeleton.open();
    expect(() => fresh.maps).to.throw(SkeletonError, "skeleton 'layout' maps: not loaded yet: call load() first");
    expect(() => fresh.programs).to.throw(SkeletonError, "skeleton 'layout' programs: not loaded yet");
    fresh.close();
    expect(() => fresh.bss.checks).to.throw(SkeletonError, "skeleton 'layout' bss: the skeleton is closed");
    expect(() => fresh.load()).to.throw(SkeletonError, "skeleton 'layout' load(): the skeleton is closed");
  });
});
