import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dumpBtfAsC } from '../../src/btf/index.js';
import { requireTool } from '../helpers/privileges.js';
import { BPFTOOL, bpftoolDumpC, btfOfObject, CLANG, CLANG_19, compileBpf, scratchDir } from './c-dump-fixture.js';
import { prng } from '../helpers/prng.js';


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
 * Random C declarations stressing layout reconstruction and ordering: bitfields (named,
 * unnamed, `: 0`), packed and aligned structs and members, anonymous nested structs/unions and
 * enums, enums of odd sizes, qualifiers, multi-dimensional arrays, pointers to arrays, (arrays
 * of) function pointers, typedefs of structs, anonymous structs and function pointers, embedded
 * earlier types and pointers to later ones (forward declarations).
 */
function randomSource(seed: number, count: number): string {
  const rnd = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const chance = (p: number): boolean => rnd() < p;
  const lines: string[] = [];
  const enums: string[] = [];
  for (let e = 0; e < 6; e++) {
    const values = Array.from({ length: 1 + Math.floor(rnd() * 4) }, (_, v) => `E${e}_${v} = ${pick(['-3', '0', '7', '300', '70000', '-70000', '0x100000000'])}`);
    const attr = pick(['', '', ' __attribute__((packed))']);
    lines.push(`enum e${e} { ${values.join(', ')} }${attr};`);
    // A 64-bit value makes an 8-byte enum, too wide for the 7-bit bitfields below.
    if (!values.some((v) => v.endsWith('0x100000000'))) enums.push(`enum e${e}`);
  }
  // Kinds are drawn up front so that pointers to later types name the right one.
  const tags = Array.from({ length: count }, (_, s) => `${chance(0.2) ? 'union' : 'struct'} s${s}`);
  const structs: string[] = [];
  const typedefs: string[] = [];
  let fieldNo = 0;
  const member = (depth: number, self: string): string => {
    const name = `f${fieldNo++}`;
    const roll = rnd();
    if (roll < 0.25) {
      const [type, bits] = pick(SCALARS);
      if (chance(0.5)) {
        // Only an unnamed bitfield may be 0 wide (it aligns the next one to its type).
        if (chance(0.2)) return `${type} : ${Math.floor(rnd() * (bits + 1))};`;
        return `${type} ${name}: ${1 + Math.floor(rnd() * bits)};`;
      }
      const aligned = chance(0.15) ? ` __attribute__((aligned(${pick([1, 2, 4, 8, 16])})))` : '';
      const packed = chance(0.1) ? ' __attribute__((packed))' : '';
      const quals = pick(['', '', '', 'const ', 'volatile ', 'const volatile ']);
      return `${quals}${type} ${name}${aligned}${packed};`;
    }
    // At most 7 bits: some enums are packed into one byte.
    if (roll < 0.33) return `${pick(enums)} ${name}${chance(0.5) ? `: ${1 + Math.floor(rnd() * 7)}` : ''};`;
    if (roll < 0.36) return `enum { AE${fieldNo} = ${pick(['-1', '5', '0x100000000'])} } ${name};`;
    if (roll < 0.44) {
      const type = pick(SCALARS)[0];
      return pick([`${type} ${name}[${1 + Math.floor(rnd() * 5)}];`, `${type} ${name}[2][3];`, `${type} (*${name})[4];`, `${type} *${name}[3][2];`]);
    }
    if (roll < 0.52) {
      const ret = pick(['void', 'int', 'long', 'char *', 'const void *']);
      const args = pick(['void', 'int, char *', 'const void *, ...', `${self} *`]);
      return pick([`${ret} (*${name})(${args});`, `${ret} (*${name}[3])(${args});`, `${ret} (*(*${name})(int))(${args});`]);
    }
    if (roll < 0.58) return `${pick(['char', 'int', 'void', self])} ${pick(['*', '**', '* const *', '*volatile '])}${name}${chance(0.3) ? '[2]' : ''};`;
    if (roll < 0.63 && typedefs.length > 0) return `${pick(typedefs)} ${chance(0.3) ? '*' : ''}${name};`;
    if (roll < 0.73 && structs.length > 0) return `${pick(structs)} ${chance(0.3) ? '*' : ''}${name};`;
    // A pointer to a struct defined later needs a forward declaration.
    if (roll < 0.76) return `${tags[Math.floor(rnd() * count)]} *${name};`;
    if (depth < 2) {
      const inner = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => member(depth + 1, self)).join(' ');
      const attr = chance(0.15) ? ' __attribute__((packed))' : '';
      const array = chance(0.15) ? '[2]' : '';
      return `${pick(['struct', 'union'])} { ${inner} }${attr} ${chance(0.3) && array === '' ? '' : name + array};`;
    }
    return `double ${name};`;
  };
  for (let s = 0; s < count; s++) {
    const tag = tags[s] as string;
    const members = Array.from({ length: 1 + Math.floor(rnd() * 7) }, () => member(0, tag));
    const attr = pick(['', '', '', ' __attribute__((packed))', ` __attribute__((aligned(${pick([2, 8, 32])})))`]);
    lines.push(`${tag} { ${members.join(' ')} }${attr};`);
    structs.push(tag);
    if (chance(0.2)) {
      lines.push(`typedef ${tag} t${s};`);
      typedefs.push(`t${s}`);
    } else if (chance(0.15)) {
      lines.push(`typedef struct { ${member(1, tag)} ${member(1, tag)} } at${s};`);
      typedefs.push(`at${s}`);
    } else if (chance(0.1)) {
      lines.push(`typedef int (*fn${s})(${tag} *, long);`);
      typedefs.push(`fn${s}`);
    }
  }
  lines.push(...structs.map((s, i) => `${s} g${i};`));
  lines.push(...typedefs.map((t) => `${t} g_${t};`));
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
        expect(reference).to.match(/^(struct|union) s\d+;$/m);
        expect(reference).to.match(/^typedef struct \{$/m);
        expect(dumpBtfAsC(btfOfObject(object))).to.equal(reference);
      } finally {
        cleanup();
      }
    });
  }
});
