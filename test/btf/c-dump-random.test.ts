import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dumpBtfAsC } from '../../src/btf/index.js';
import { requireTool } from '../helpers/privileges.js';
import { BPFTOOL, bpftoolDumpC, btfOfObject, CLANG, CLANG_19, compileBpf, scratchDir } from './c-dump-fixture.js';

/** mulberry32: a tiny seeded PRNG, so a failing seed can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SCALARS: readonly (readonly [string, number])[] = [
  ['char', 8],
  ['unsigned char', 8],
  ['short', 16],
  ['unsigned short', 16],
  ['int', 32],
  ['unsigned int', 32],
  ['long', 64],
  ['unsigned long long', 64],
  ['_Bool', 1],
];

/**
 * Random C declarations stressing layout reconstruction: bitfields (named, unnamed, `: 0`),
 * packed and aligned structs and members, anonymous nested structs/unions, enums of odd sizes,
 * arrays, pointers and function pointers, embedded earlier structs.
 */
function randomSource(seed: number, count: number): string {
  const rnd = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const chance = (p: number): boolean => rnd() < p;
  const lines: string[] = [];
  const enums: string[] = [];
  for (let e = 0; e < 6; e++) {
    const values = Array.from({ length: 1 + Math.floor(rnd() * 4) }, (_, v) => `E${e}_${v} = ${pick(['-3', '0', '7', '300', '70000', '-70000'])}`);
    const attr = pick(['', '', ' __attribute__((packed))']);
    lines.push(`enum e${e} { ${values.join(', ')} }${attr};`);
    enums.push(`enum e${e}`);
  }
  const structs: string[] = [];
  let fieldNo = 0;
  const member = (depth: number): string => {
    const name = `f${fieldNo++}`;
    const roll = rnd();
    if (roll < 0.3) {
      const [type, bits] = pick(SCALARS);
      if (chance(0.5)) {
        // Only an unnamed bitfield may be 0 wide (it aligns the next one to its type).
        if (chance(0.2)) return `${type} : ${Math.floor(rnd() * (bits + 1))};`;
        return `${type} ${name}: ${1 + Math.floor(rnd() * bits)};`;
      }
      const aligned = chance(0.15) ? ` __attribute__((aligned(${pick([1, 2, 4, 8, 16])})))` : '';
      const packed = chance(0.1) ? ' __attribute__((packed))' : '';
      return `${type} ${name}${aligned}${packed};`;
    }
    // At most 7 bits: some enums are packed into one byte.
    if (roll < 0.4) return `${pick(enums)} ${name}${chance(0.5) ? `: ${1 + Math.floor(rnd() * 7)}` : ''};`;
    if (roll < 0.5) return `${pick(SCALARS)[0]} ${name}[${1 + Math.floor(rnd() * 5)}];`;
    if (roll < 0.58) return `${pick(['void', 'int', 'long'])} (*${name})(${pick(['void', 'int, char *', 'const void *, ...'])});`;
    if (roll < 0.65) return `${pick(['char', 'int', 'void'])} *${name}${chance(0.3) ? '[2]' : ''};`;
    if (roll < 0.78 && structs.length > 0) return `${pick(structs)} ${chance(0.3) ? '*' : ''}${name};`;
    if (depth < 2) {
      const inner = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => member(depth + 1)).join(' ');
      const attr = chance(0.15) ? ' __attribute__((packed))' : '';
      return `${pick(['struct', 'union'])} { ${inner} }${attr} ${chance(0.3) ? '' : name};`;
    }
    return `double ${name};`;
  };
  for (let s = 0; s < count; s++) {
    const kind = chance(0.2) ? 'union' : 'struct';
    const members = Array.from({ length: 1 + Math.floor(rnd() * 7) }, () => member(0));
    const attr = pick(['', '', '', ' __attribute__((packed))', ` __attribute__((aligned(${pick([2, 8, 32])})))`]);
    lines.push(`${kind} s${s} { ${members.join(' ')} }${attr};`);
    structs.push(`${kind} s${s}`);
  }
  lines.push(...structs.map((s, i) => `${s} g${i};`));
  return `${lines.join('\n')}\n`;
}

describe('dumpBtfAsC on randomly generated structs', function () {
  const runs: readonly (readonly [string, string, number])[] = [
    ['clang 14', CLANG, 1],
    ['clang 14', CLANG, 2],
    ['clang 14', CLANG, 3],
    ['clang 19', CLANG_19, 4],
    ['clang 19', CLANG_19, 5],
  ];
  for (const [label, clang, seed] of runs) {
    it(`seed ${seed} (${label}, 120 structs): identical to bpftool`, function () {
      requireTool(this, BPFTOOL);
      requireTool(this, clang);
      const { dir, cleanup } = scratchDir();
      try {
        const source = join(dir, 'random.c');
        const object = join(dir, 'random.o');
        writeFileSync(source, randomSource(seed, 120));
        compileBpf(clang, source, object);
        const reference = bpftoolDumpC(object);
        // The generator must reach the layouts it is meant to stress.
        expect(reference).to.include('__attribute__((packed))');
        expect(reference).to.match(/^\t+(long|int|short|char): \d+;$/m);
        expect(dumpBtfAsC(btfOfObject(object))).to.equal(reference);
      } finally {
        cleanup();
      }
    });
  }
});
