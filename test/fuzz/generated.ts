/**
 * Inputs built from nothing by fast-check arbitraries, beside the byte-level mutation of the
 * corpus (mutate.ts): whole BTF blobs (every kind, trailing records sized by kind, type ids in
 * range, out of range and cyclic, names valid or past the string table), `.BTF.ext` sections
 * against a corpus BTF, instruction streams of real opcodes, verifier logs of the kernel's line
 * shapes, and ELF objects assembled from those (program, `.maps`, `.BTF`, `.BTF.ext`, symbols,
 * relocations, license). A mutation keeps most of an object intact; these reach shapes no
 * committed object has, and fast-check shrinks a failing one (the property test in
 * fuzz.test.ts).
 */
import fc from 'fast-check';
import type { Btf } from '../../src/btf/index.js';
import type { Target, TargetInput } from './targets.js';

/** Values that break arithmetic: zero, one, sign boundaries, all ones. */
const EDGE_U32 = [0, 1, 2, 4, 8, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0xffff, 0x10000];
/** `arb` one time in `oneIn`, else undefined: damage that must stay rare to leave the rest reachable. */
const rarely = <T>(arb: fc.Arbitrary<T>, oneIn = 6): fc.Arbitrary<T | undefined> => fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const u32 = (): fc.Arbitrary<number> => fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 64 }) }, { weight: 1, arbitrary: fc.constantFrom(...EDGE_U32) }, { weight: 1, arbitrary: fc.nat({ max: 0xffff_ffff }) });

/** Little-endian byte writer for the generated structures. */
class LeWriter {
  private readonly bytes: number[] = [];
  get length(): number {
    return this.bytes.length;
  }
  u8(v: number): this {
    this.bytes.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  u64(v: number): this {
    return this.u32(v >>> 0).u32(Math.floor(v / 0x1_0000_0000));
  }
  raw(b: Uint8Array | readonly number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }
  padTo(align: number): this {
    while (this.bytes.length % align !== 0) this.bytes.push(0);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

// ---- BTF ------------------------------------------------------------------------------------

/** Trailing bytes per member for the kinds with a vlen-sized list (BTF_KIND numbers). */
const MEMBER_SIZE: Readonly<Record<number, number>> = { 4: 12, 5: 12, 6: 8, 13: 8, 15: 12, 19: 12 };
/** Fixed trailing bytes: INT's encoding, ARRAY's record, VAR's linkage, DECL_TAG's component. */
const FIXED_TAIL: Readonly<Record<number, number>> = { 1: 4, 3: 12, 14: 4, 17: 4 };

interface GenType {
  kind: number;
  kindFlag: boolean;
  vlen: number;
  nameChoice: number;
  sizeOrType: number;
  words: number[];
}

const STRINGS = ['', 'int', 'task_struct', 'pid', 'x', 'long unsigned int', 'char', '.maps', 'license', 'anon', 'a.b', '__u64', 'xdp_md'];

/** A string table: the names above, NUL-separated, offsets recorded. */
function stringTable(): { bytes: Uint8Array; offsets: number[] } {
  const w = new LeWriter();
  const offsets: number[] = [];
  for (const s of STRINGS) {
    offsets.push(w.length);
    w.raw(Buffer.from(s, 'latin1')).u8(0);
  }
  return { bytes: w.done(), offsets };
}
const STRING_TABLE = stringTable();

/** A type record; a `clean` one has a known kind and a name inside the string table. */
const genType = (maxId: number, clean: boolean): fc.Arbitrary<GenType> => {
  const key = `${maxId}:${clean}`;
  let arb = TYPE_ARBITRARIES.get(key);
  if (arb === undefined) TYPE_ARBITRARIES.set(key, (arb = typeArbitrary(maxId, clean)));
  return arb;
};
/** Built once per (max id, clean): building an arbitrary costs more than drawing from it. */
const TYPE_ARBITRARIES = new Map<string, fc.Arbitrary<GenType>>();

const typeArbitrary = (maxId: number, clean: boolean): fc.Arbitrary<GenType> =>
  fc.record({
    kind: clean ? fc.integer({ min: 1, max: 19 }) : fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 19 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 20, 31) }),
    kindFlag: fc.boolean(),
    vlen: clean ? fc.integer({ min: 0, max: 4 }) : fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(0xffff, 1000) }),
    nameChoice: fc.integer({ min: 0, max: clean ? STRINGS.length - 1 : STRINGS.length + 1 }),
    sizeOrType: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: maxId + 1 }) }, { weight: 1, arbitrary: u32() }),
    words: fc.array(fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: maxId + 1 }) }, { weight: 1, arbitrary: u32() }), { minLength: 16, maxLength: 16 }),
  });

function nameOffset(choice: number, strLen: number): number {
  if (choice < STRING_TABLE.offsets.length) return STRING_TABLE.offsets[choice]!;
  return choice === STRINGS.length ? strLen : strLen + 1000;
}

/**
 * One BTF type record. At most 4 members are written: a huge vlen (1000, 0xffff) claims records
 * past the section. `honest` false writes one member fewer than vlen claims.
 */
function encodeType(w: LeWriter, t: GenType, honest: boolean): void {
  w.u32(nameOffset(t.nameChoice, STRING_TABLE.bytes.length));
  w.u32((t.vlen & 0xffff) | ((t.kind & 0x1f) << 24) | (t.kindFlag ? 0x8000_0000 : 0));
  w.u32(t.sizeOrType);
  const words = (n: number): void => {
    for (let i = 0; i < n; i++) w.u32(t.words[i % t.words.length]!);
  };
  words((FIXED_TAIL[t.kind] ?? 0) / 4);
  const member = MEMBER_SIZE[t.kind];
  if (member !== undefined) words((Math.max(0, Math.min(t.vlen, 4) - (honest ? 0 : 1)) * member) / 4);
}

/**
 * A whole `.BTF` blob: header, types, strings. A clean one (two in three) is well formed down to
 * the records, so the parse reaches type resolution, sizes and the C dump; type ids still point
 * anywhere, cycles included. Otherwise kinds, names, vlens and the header may be wrong.
 */
const btfBlobOf = (clean: boolean): fc.Arbitrary<Uint8Array> =>
  fc
    .integer({ min: 0, max: 24 })
    .chain((n) => fc.tuple(fc.array(genType(n, clean), { minLength: n, maxLength: n }), clean ? fc.constant(true) : fc.boolean(), clean ? fc.constant(undefined) : rarely(fc.array(u32(), { minLength: 4, maxLength: 4 }), 3), clean ? fc.constant(24) : fc.constantFrom(24, 24, 16, 32)))
    .map(([types, honest, badHeader, hdrLen]) => {
      const body = new LeWriter();
      for (const t of types) encodeType(body, t, honest);
      const typeBytes = body.done();
      const [typeOff, typeLen, strOff, strLen] = badHeader ?? [0, typeBytes.length, typeBytes.length, STRING_TABLE.bytes.length];
      const w = new LeWriter().u16(0xeb9f).u8(1).u8(0).u32(hdrLen).u32(typeOff!).u32(typeLen!).u32(strOff!).u32(strLen!);
      while (w.length < hdrLen) w.u32(0);
      return w.raw(typeBytes).raw(STRING_TABLE.bytes).done();
    });

export const btfBlob: fc.Arbitrary<Uint8Array> = fc.oneof({ weight: 2, arbitrary: btfBlobOf(true) }, { weight: 1, arbitrary: btfBlobOf(false) });

// ---- .BTF.ext -------------------------------------------------------------------------------

/**
 * One info subsection: record size, then per ELF section its name, count and records (no
 * sections: the subsection is absent). Clean: the record size is right and every count matches
 * the records written; names are offsets into the corpus BTF's strings.
 */
const extRecords = (recSize: number, clean: boolean): fc.Arbitrary<Uint8Array> =>
  fc
    .tuple(
      fc.array(fc.record({ sec: clean ? fc.integer({ min: 0, max: 64 }) : u32(), count: clean ? fc.integer({ min: 1, max: 4 }) : u32(), words: fc.array(clean ? fc.integer({ min: 0, max: 12 }) : u32(), { minLength: 16, maxLength: 16 }) }), { maxLength: 3 }),
      clean ? fc.constant(recSize) : fc.constantFrom(recSize, recSize + 4, 4, 0, recSize + 1),
    )
    .map(([secs, size]) => {
      if (secs.length === 0) return new Uint8Array(0);
      const w = new LeWriter().u32(size);
      for (const s of secs) {
        w.u32(s.sec).u32(s.count);
        for (let i = 0; i < Math.min(s.count, 4) * (size >>> 2); i++) w.u32(s.words[i % 16]!);
      }
      return w.done();
    });

/** A `.BTF.ext` blob: func_info, line_info and CO-RE relocation subsections. */
const btfExtBlobOf = (clean: boolean): fc.Arbitrary<Uint8Array> =>
  fc
    .tuple(extRecords(8, clean), extRecords(16, clean), extRecords(16, clean), clean ? fc.constant(32) : fc.constantFrom(32, 24, 16), clean ? fc.constant(undefined) : rarely(fc.array(u32(), { minLength: 6, maxLength: 6 }), 3))
    .map(([funcs, lines, relos, hdrLen, badOffsets]) => {
      const offsets = badOffsets ?? [0, funcs.length, funcs.length, lines.length, funcs.length + lines.length, relos.length];
      const w = new LeWriter().u16(0xeb9f).u8(1).u8(0).u32(hdrLen);
      const fields = hdrLen >= 32 ? offsets : offsets.slice(0, (hdrLen - 8) / 4);
      for (const f of fields) w.u32(f!);
      return w.raw(funcs).raw(lines).raw(relos).done();
    });

export const btfExtBlob: fc.Arbitrary<Uint8Array> = fc.oneof({ weight: 2, arbitrary: btfExtBlobOf(true) }, { weight: 1, arbitrary: btfExtBlobOf(false) });

// ---- instructions ---------------------------------------------------------------------------

/** Opcodes the decoder knows (every class and mode) plus a few it must refuse. */
const OPCODES = [
  0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x47, 0x4f, 0x57, 0x5f, 0x67, 0x6f, 0x77, 0x7f, 0x87, 0x97, 0x9f, 0xa7, 0xaf, 0xb7, 0xbf, 0xc7, 0xcf, 0xd4, 0xd7, 0xdc,
  0x04, 0x0c, 0x14, 0xb4, 0xbc, 0x84, 0x94, 0x9c, 0xc4, 0xcc,
  0x18, 0x20, 0x28, 0x30, 0x50, 0x61, 0x69, 0x71, 0x79, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0x81, 0x89, 0x91, 0x99, 0xc3, 0xdb,
  0x05, 0x06, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, 0x55, 0x5d, 0x65, 0x6d, 0x75, 0x7d, 0xa5, 0xad, 0xb5, 0xbd, 0xc5, 0xcd, 0xd5, 0xdd, 0x16, 0x1e, 0x85, 0x8d, 0x95, 0xe5,
  0x00, 0xff, 0xf7, 0xe7,
];

const insn = fc.record({
  code: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...OPCODES) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  dst: fc.integer({ min: 0, max: 15 }),
  src: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 10 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
  off: fc.integer({ min: -32768, max: 32767 }),
  imm: fc.oneof(fc.integer({ min: -8, max: 64 }), fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff })),
});

/** An instruction stream of 0 to 40 instructions, sometimes cut mid-instruction. */
export const instructionBytes: fc.Arbitrary<Uint8Array> = fc.tuple(fc.array(insn, { maxLength: 40 }), fc.integer({ min: 0, max: 7 })).map(([insns, cut]) => {
  const w = new LeWriter();
  for (const i of insns) w.u8(i.code).u8((i.src << 4) | i.dst).u16(i.off & 0xffff).u32(i.imm >>> 0);
  const bytes = w.done();
  return cut === 0 && bytes.length > 0 ? bytes.subarray(0, bytes.length - 1 - (bytes[0]! % 7)) : bytes;
});

// ---- verifier logs --------------------------------------------------------------------------

const reg = fc.integer({ min: 0, max: 12 }).map((r) => `R${r}`);
const num = fc.oneof(fc.integer({ min: -5, max: 200 }), fc.constantFrom(4294967295, -9223372036854775808, 9007199254740993, 1e308));
const regState = fc.tuple(reg, fc.constantFrom('_w', 'rw', '', '_r'), fc.constantFrom('ctx()', 'fp0', 'scalar()', 'map_value(map=m,ks=4,vs=8)', 'pkt(off=0,r=0)', 'scalar(smin=', 'map_ptr(', '0', 'inv'), num).map(([r, l, v, n]) => `${r}${l}=${v.replace('()', `(id=${n})`)}`);
const logLine = fc.oneof(
  fc.tuple(num, fc.constantFrom('(b7) r0 = 0', '(85) call bpf_map_lookup_elem#1', '(79) r1 = *(u64 *)(r1 +8)', '(95) exit', '(18) r1 = 0x', '(05) goto pc+'), num).map(([i, t, n]) => `${i}: ${t}${n}`),
  fc.tuple(num, fc.array(regState, { maxLength: 4 })).map(([i, rs]) => `${i}: ${rs.join(' ')}`),
  fc.tuple(num, num, fc.array(regState, { maxLength: 3 })).map(([a, b, rs]) => `from ${a} to ${b}: ${rs.join(' ')}`),
  fc.tuple(num, num, num).map(([a, b, c]) => `processed ${a} insns (limit ${b}) max_states_per_insn ${c} total_states 0 peak_states 0 mark_read 0`),
  fc.tuple(num, num).map(([a, b]) => `func#${a} @${b}`),
  fc.tuple(num, fc.constantFrom('; return x->y; @ prog.bpf.c:12', "invalid mem access 'scalar'", 'R1 type=ctx expected=fp', 'Caller passes invalid args into func#1', 'last_idx 5 first_idx 0', 'regs=1 stack=0 before 3: (bf) r1 = r6', 'libbpf: prog', 'old state:', 'Validating f() func#1...', '')).map(([, l]) => l),
  fc.string({ maxLength: 60 }),
);

/** A verifier log: 0 to 60 lines of the kernel's shapes, with numbers at their extremes. */
export const verifierLogText: fc.Arbitrary<string> = fc.array(logLine, { maxLength: 60 }).map((lines) => lines.join('\n'));

// ---- ELF ------------------------------------------------------------------------------------

interface GenSection {
  name: string;
  type: number;
  flags: number;
  body: Uint8Array;
  link: number;
  info: number;
  entsize: number;
}

const symbols = (count: number): fc.Arbitrary<Uint8Array> =>
  fc.array(fc.record({ name: fc.integer({ min: 0, max: 40 }), info: fc.constantFrom(0x12, 0x11, 0x10, 0x03, 0x00, 0x22, 0xff), other: fc.constantFrom(0, 1, 2), shndx: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 4, arbitrary: fc.integer({ min: 1, max: count }) }, { weight: 1, arbitrary: rarely(fc.constantFrom(0, count + 1, 0xfff1, 0xfff2, 0xffff), 4).map((v) => v ?? 1) }), value: fc.oneof(fc.integer({ min: 0, max: 64 }).map((v) => v * 8), u32()), size: fc.oneof(fc.integer({ min: 0, max: 8 }).map((v) => v * 8), u32()) }), { minLength: 1, maxLength: 8 }).map((syms) => {
    const w = new LeWriter().raw(new Uint8Array(24)); // symbol 0 is the null symbol
    for (const s of syms) w.u32(s.name).u8(s.info).u8(s.other).u16(s.shndx).u64(s.value).u64(s.size);
    return w.done();
  });

const relocations = fc.array(fc.record({ offset: fc.oneof(fc.integer({ min: 0, max: 48 }).map((v) => v * 8), u32()), sym: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 2 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 10 }) }), type: fc.constantFrom(1, 2, 3, 10, 0, 99) }), { maxLength: 6 }).map((rels) => {
  const w = new LeWriter();
  for (const r of rels) w.u64(r.offset).u32(r.type).u32(r.sym);
  return w.done();
});

const PROGRAM_SECTIONS = ['xdp', 'socket', 'tracepoint/syscalls/sys_enter_openat', 'kprobe/do_sys_openat2', 'tc', '.text', 'raw_tp/sys_enter', 'uprobe//bin/sh:main', 'struct_ops/x', 'fentry/f'];

/** A relocatable BPF ELF assembled from generated parts, with honest or damaged section headers. */
export const elfObject: fc.Arbitrary<Uint8Array> = fc
  .record({
    progName: fc.constantFrom(...PROGRAM_SECTIONS),
    prog: instructionBytes,
    btf: fc.option(fc.oneof({ weight: 4, arbitrary: btfBlobOf(true) }, { weight: 1, arbitrary: btfBlobOf(false) }), { freq: 4 }),
    ext: fc.option(fc.oneof({ weight: 4, arbitrary: btfExtBlobOf(true) }, { weight: 1, arbitrary: btfExtBlobOf(false) }), { freq: 3 }),
    maps: rarely(fc.uint8Array({ maxLength: 64 }), 10),
    syms: symbols(5),
    rels: relocations,
    license: fc.constantFrom('GPL', 'Dual BSD/GPL', 'proprietary', ''),
    damage: rarely(fc.record({ section: fc.integer({ min: 0, max: 11 }), field: fc.integer({ min: 0, max: 7 }), value: u32() }), 4),
  })
  .map((g) => {
    const sections: GenSection[] = [
      { name: g.progName, type: 1, flags: 6, body: g.prog, link: 0, info: 0, entsize: 0 },
      { name: 'license', type: 1, flags: 3, body: Buffer.from(`${g.license}\0`, 'latin1'), link: 0, info: 0, entsize: 0 },
    ];
    if (g.maps !== undefined) sections.push({ name: '.maps', type: 1, flags: 3, body: g.maps, link: 0, info: 0, entsize: 0 });
    if (g.btf !== null) sections.push({ name: '.BTF', type: 1, flags: 0, body: g.btf, link: 0, info: 0, entsize: 0 });
    if (g.ext !== null) sections.push({ name: '.BTF.ext', type: 1, flags: 0, body: g.ext, link: 0, info: 0, entsize: 0 });
    const symtabIndex = sections.length + 1;
    sections.push({ name: '.symtab', type: 2, flags: 0, body: g.syms, link: symtabIndex + 1, info: 1, entsize: 24 });
    sections.push({ name: '.strtab', type: 3, flags: 0, body: Buffer.from('\0prog\0my_map\0license\0.text\0helper\0LINUX_KERNEL_VERSION\0', 'latin1'), link: 0, info: 0, entsize: 0 });
    sections.push({ name: `.rel${g.progName}`, type: 9, flags: 0x40, body: g.rels, link: symtabIndex, info: 1, entsize: 16 });
    return assembleElf(sections, g.damage);
  });

function assembleElf(sections: readonly GenSection[], damage: { section: number; field: number; value: number } | undefined): Uint8Array {
  const names = new LeWriter().u8(0);
  const nameOffsets: number[] = [];
  for (const s of [...sections, { name: '.shstrtab' }]) {
    nameOffsets.push(names.length);
    names.raw(Buffer.from(`${s.name}\0`, 'latin1'));
  }
  const all: GenSection[] = [...sections, { name: '.shstrtab', type: 3, flags: 0, body: names.done(), link: 0, info: 0, entsize: 0 }];
  const body = new LeWriter().raw(new Uint8Array(64));
  const offsets: number[] = [];
  for (const s of all) {
    body.padTo(8);
    offsets.push(body.length);
    body.raw(s.body);
  }
  body.padTo(8);
  const shoff = body.length;
  body.raw(new Uint8Array(64)); // section 0
  all.forEach((s, i) => {
    const fields = [nameOffsets[i]!, s.type, s.flags, 0, offsets[i]!, s.body.length, s.link, s.info];
    if (damage !== undefined && damage.section === i + 1) fields[damage.field] = damage.value;
    body.u32(fields[0]!).u32(fields[1]!).u64(fields[2]!).u64(fields[3]!).u64(fields[4]!).u64(fields[5]!).u32(fields[6]!).u32(fields[7]!).u64(8).u64(s.entsize);
  });
  const bytes = body.done();
  const header = new LeWriter()
    .raw([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    .u16(1) // ET_REL
    .u16(247) // EM_BPF
    .u32(1)
    .u64(0)
    .u64(0)
    .u64(shoff)
    .u32(0)
    .u16(64)
    .u16(0)
    .u16(0)
    .u16(64)
    .u16(all.length + 1)
    .u16(all.length)
    .done();
  bytes.set(header, 0);
  return bytes;
}

// ---- one case -------------------------------------------------------------------------------

const INSNS_INPUT = fc.tuple(instructionBytes, fc.boolean());

/** The arbitrary of one target's input; `btf` is the corpus BTF a `.BTF.ext` resolves against. */
export function generatedInput(target: Target, btf: Btf): fc.Arbitrary<TargetInput> {
  switch (target) {
    case 'spec':
    case 'elf':
      return elfObject.map((bytes) => ({ target, bytes }));
    case 'btf':
      return btfBlob.map((bytes) => ({ target, bytes }));
    case 'btf-ext':
      return btfExtBlob.map((bytes) => ({ target, bytes, btf }));
    case 'insns':
      return INSNS_INPUT.map(([bytes, big]) => ({ target, bytes, endianness: big ? 'big' : 'little' }));
    case 'verifier-log':
      return verifierLogText.map((text) => ({ target, text }));
  }
}

/** Input number `caseSeed` of a target, deterministically (fast-check's generator, seeded). */
export function sampleInput(target: Target, btf: Btf, caseSeed: number): TargetInput {
  const seed = caseSeed | 0;
  switch (target) {
    case 'spec':
    case 'elf':
      return { target, bytes: fc.sample(elfObject, { seed, numRuns: 1 })[0]! };
    case 'btf':
      return { target, bytes: fc.sample(btfBlob, { seed, numRuns: 1 })[0]! };
    case 'btf-ext':
      return { target, bytes: fc.sample(btfExtBlob, { seed, numRuns: 1 })[0]!, btf };
    case 'insns': {
      const [bytes, big] = fc.sample(INSNS_INPUT, { seed, numRuns: 1 })[0]!;
      return { target, bytes, endianness: big ? 'big' : 'little' };
    }
    case 'verifier-log':
      return { target, text: fc.sample(verifierLogText, { seed, numRuns: 1 })[0]! };
  }
}
