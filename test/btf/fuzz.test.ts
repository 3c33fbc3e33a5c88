import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BtfError, BtfStringTable, dumpBtfRaw, encodeBtf, parseBtf, parseBtfExt, type Btf } from '../../src/btf/index.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { craftBtf, info, INT_WORDS } from './craft.js';
import { btfExtSectionOf, btfSectionOf, objectsWithBtf, VMLINUX } from './tools.js';
import { prng } from '../helpers/prng.js';


const SEED = Number(process.env['BTF_FUZZ_SEED'] ?? Date.now() % 1_000_000);
const ITERATIONS = Number(process.env['BTF_FUZZ_ITERATIONS'] ?? 3000);
const INTERESTING = [0, 1, 2, 3, 4, 8, 12, 24, 0x7f, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

function mutate(input: Uint8Array, rand: () => number): Uint8Array {
  const int = (n: number): number => Math.floor(rand() * n);
  let out = input.slice();
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    const v = new DataView(out.buffer);
    switch (int(6)) {
      case 0: // flip bits of one byte
        if (out.length > 0) {
          const at = int(out.length);
          out[at] = (out[at] as number) ^ (1 << int(8));
        }
        break;
      case 1: // an interesting u32 at an aligned offset (header fields, info words, ids)
        if (out.length >= 4) v.setUint32(int(out.length >> 2) << 2, INTERESTING[int(INTERESTING.length)] as number, true);
        break;
      case 2: // truncate
        out = out.slice(0, int(out.length + 1));
        break;
      case 3: // a header field
        if (out.length >= 24) v.setUint32(4 + 4 * int(5), INTERESTING[int(INTERESTING.length)] as number, true);
        break;
      case 4: // random type id into a u32 slot (cycles, self references)
        if (out.length >= 4) v.setUint32(int(out.length >> 2) << 2, int(64), true);
        break;
      default: // kind/vlen byte of an info word
        if (out.length >= 4) out[(int(out.length >> 2) << 2) + 3] = int(32);
    }
  }
  return out;
}

/** Everything a consumer may do with a parsed blob; only BtfError may escape. */
function exercise(btf: Btf): void {
  const attempt = (f: () => unknown): void => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof BtfError)) throw e;
    }
  };
  for (let id = btf.firstId; id < btf.typeCount; id++) {
    attempt(() => btf.typeById(id));
    attempt(() => btf.kindOf(id));
    attempt(() => btf.typeName(id));
    attempt(() => btf.resolveType(id));
    attempt(() => btf.sizeOf(id));
    attempt(() => btf.alignOf(id));
  }
  attempt(() => btf.findByName('int'));
  attempt(() => btf.findByName('holder', 'STRUCT'));
  attempt(() => dumpBtfRaw(btf));
  attempt(() => encodeBtf([...btf.types()], BtfStringTable.from(btf.strings)));
}

interface Corpus {
  readonly name: string;
  readonly btf: Uint8Array;
  readonly ext?: Uint8Array;
}

function corpus(): Corpus[] {
  const out: Corpus[] = [];
  for (const obj of objectsWithBtf().filter((o) => o.startsWith('bpf/btf/') || o === 'bpf/core.bpf.o' || o === 'bpf/globals.bpf.o')) {
    const path = join(REPO_ROOT, obj);
    let ext: Uint8Array | undefined;
    try {
      ext = btfExtSectionOf(path);
    } catch {
      ext = undefined;
    }
    out.push(ext === undefined ? { name: obj, btf: btfSectionOf(path) } : { name: obj, btf: btfSectionOf(path), ext });
  }
  if (existsSync(VMLINUX)) {
    // Prefix slices of vmlinux: its first N types re-encoded (references past N stay dangling).
    const vmlinux = parseBtf(readFileSync(VMLINUX));
    for (const n of [40, 300]) {
      const types = [];
      for (let id = 1; id <= n; id++) types.push(vmlinux.typeById(id));
      out.push({ name: `vmlinux[1..${n}]`, btf: encodeBtf(types) });
    }
  }
  return out;
}

describe(`BTF fuzz (seed ${SEED}, BTF_FUZZ_SEED=${SEED} to replay)`, function () {
  this.timeout(20000);

  it(`${ITERATIONS} mutations of real BTF and .BTF.ext raise nothing but BtfError`, function () {
    const rand = prng(SEED);
    const inputs = corpus();
    expect(inputs.length).to.be.greaterThan(3);
    let parsed = 0;
    let rejected = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const input = inputs[i % inputs.length] as Corpus;
      const bytes = mutate(input.btf, rand);
      let btf: Btf;
      try {
        btf = parseBtf(bytes);
        parsed++;
        exercise(btf);
      } catch (e) {
        if (!(e instanceof BtfError)) throw new Error(`seed ${SEED} iteration ${i} (${input.name}): ${String(e)}`, { cause: e });
        rejected++;
        continue;
      }
      if (input.ext !== undefined) {
        try {
          parseBtfExt(mutate(input.ext, rand), btf);
        } catch (e) {
          if (!(e instanceof BtfError)) throw new Error(`seed ${SEED} iteration ${i} (${input.name} .BTF.ext): ${String(e)}`, { cause: e });
        }
      }
    }
    // Both outcomes must occur, or the mutations are not reaching the interesting paths.
    expect(parsed).to.be.greaterThan(ITERATIONS / 20);
    expect(rejected).to.be.greaterThan(ITERATIONS / 20);
  });

  it('crafted: self and mutual references, huge counts, truncated headers', function () {
    const K = { PTR: 2, ARRAY: 3, STRUCT: 4, TYPEDEF: 8, CONST: 10, VAR: 14, DATASEC: 15 } as const;
    const cases: Uint8Array[] = [
      craftBtf([0, info(K.PTR), 1]), // PTR to itself
      craftBtf([1, info(K.TYPEDEF), 2, 1, info(K.CONST), 1]), // typedef <-> const loop
      craftBtf([0, info(K.ARRAY), 0, 1, 1, 0xffffffff]), // array of itself, 2^32-1 elements
      craftBtf([...INT_WORDS, 0, info(K.ARRAY), 0, 1, 1, 0xffffffff, 0, info(K.ARRAY), 0, 2, 1, 0xffffffff]), // size overflow
      craftBtf([1, info(K.STRUCT, 1), 4, 1, 1, 0]), // struct containing itself
      craftBtf([1, info(K.VAR), 1, 1]), // VAR of itself
      craftBtf([1, info(K.DATASEC, 1), 4, 1, 0, 4]), // DATASEC listing itself
      craftBtf([1, info(K.STRUCT, 0xffff), 4]), // huge vlen
      craftBtf([...INT_WORDS], '\0int\0', { header: { 12: 0xfffffffc } }), // huge type_len
      craftBtf([...INT_WORDS], '\0int\0', { header: { 20: 0xffffffff } }), // huge str_len
      craftBtf([...INT_WORDS]).slice(0, 23), // truncated header
      craftBtf([0xffffffff, info(1), 4, 32]), // name offset out of range
    ];
    for (const [i, bytes] of cases.entries()) {
      try {
        exercise(parseBtf(bytes));
      } catch (e) {
        expect(e, `case ${i}`).to.be.instanceOf(BtfError);
      }
    }
    const selfPtr = parseBtf(cases[0] as Uint8Array);
    expect(selfPtr.sizeOf(1)).to.equal(8);
    const loop = parseBtf(cases[1] as Uint8Array);
    expect(() => loop.resolveType(1)).to.throw(BtfError, /cyclic/);
    expect(() => loop.sizeOf(2)).to.throw(BtfError, /cyclic/);
    expect(() => parseBtf(cases[4] as Uint8Array).alignOf(1)).to.throw(BtfError, /cyclic/);
    expect(() => parseBtf(cases[2] as Uint8Array).sizeOf(1)).to.throw(BtfError);
  });
});
