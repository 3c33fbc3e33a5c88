import { expect } from 'chai';
import { BtfDumpError, BtfError, dumpBtfAsC } from '../../src/btf/index.js';
import { requireTool } from '../helpers/privileges.js';
import { BPFTOOL, BtfListBuilder, bpftoolDumpRawC } from './c-dump-fixture.js';

/**
 * Hand-made BTF for what compilers rarely or never emit (GCC quirks, pahole encodings, 32-bit
 * targets, malformed-but-accepted layouts), encoded with our encoder and dumped by both bpftool
 * and us: the outputs must be identical. Each case is [what bpftool's output shows, proving the
 * case exercises it; the types].
 */
const CASES: Record<string, readonly [RegExp, (b: BtfListBuilder) => void]> = {
  'old-style bitfields (INT with fewer bits, no kind flag) get no `: N`': [
    /\tunsigned int a;\n\tunsigned int b;/,
    (b) => {
      const u32 = b.int('unsigned int', 4);
      const narrow = b.int('unsigned int', 4, false, 3);
      b.composite('STRUCT', 'old_bits', 8, [
        ['a', narrow, 0],
        ['b', narrow, 3],
        ['c', u32, 32],
      ]);
    },
  ],
  'GCC __PolyN_t internal types get a typedef to a standard integer': [
    /^typedef unsigned char __Poly8_t;$/m,
    (b) => {
      const poly8 = b.int('__Poly8_t', 1);
      const poly64 = b.int('__Poly64_t', 8);
      const idx = b.int('int', 4, true);
      b.typedef('poly8x8_t', b.array(poly8, 8, idx));
      b.composite('STRUCT', 'neon', 16, [['p', poly64, 0], ['q', b.array(poly8, 8, idx), 64]]);
    },
  ],
  '__builtin_va_list is never defined; a void __gnuc_va_list becomes the builtin': [
    /^typedef __builtin_va_list __gnuc_va_list;$/m,
    (b) => {
      const chr = b.int('char', 1, true);
      const builtin = b.typedef('__builtin_va_list', b.ref('PTR', chr));
      b.typedef('__gnuc_va_list', 0);
      b.typedef('va_list', builtin);
    },
  ],
  'anonymous types nested deeper than 13 levels stop indenting at 13 tabs': [
    /^\t{13}int leaf;$/m,
    (b) => {
      const int = b.int('int', 4, true);
      let inner = b.composite('STRUCT', '', 4, [['leaf', int, 0]]);
      for (let level = 0; level < 16; level++) inner = b.composite(level % 2 === 0 ? 'UNION' : 'STRUCT', '', 4, [[`l${level}`, inner, 0]]);
      b.composite('STRUCT', 'deep', 4, [['top', inner, 0]]);
    },
  ],
  'duplicate names longer than 255 characters are cut like snprintf into 256 bytes': [
    /^typedef int \*t{254}_;$/m,
    (b) => {
      const int = b.int('int', 4, true);
      const long = 'n'.repeat(260);
      b.composite('STRUCT', long, 4, [['a', int, 0]]);
      b.composite('STRUCT', long, 8, [['a', int, 0], ['b', int, 32]]);
      b.typedef('t'.repeat(254), int);
      b.typedef('t'.repeat(254), b.ref('PTR', int));
    },
  ],
  'typedefs, enumerators share one namespace; struct tags another': [
    /^\tclash___2 = 1,$/m,
    (b) => {
      const int = b.int('int', 4, true);
      b.typedef('clash', int);
      b.add({ kind: 'ENUM', name: 'clash', size: 4, signed: false, values: [{ name: 'clash', value: 1 }, { name: 'other', value: 2 }] });
      b.composite('STRUCT', 'clash', 4, [['x', int, 0]]);
      b.add({ kind: 'ENUM', name: '', size: 4, signed: true, values: [{ name: 'other', value: -1 }] });
    },
  ],
  'INT names take a slot in the tag namespace once an INT is reached': [
    /^struct weird___2 \{$/m,
    (b) => {
      const weird = b.int('weird', 4, true);
      b.typedef('weird_t', weird);
      b.composite('STRUCT', 'weird', 4, [['w', weird, 0]]);
      b.int('weird', 2, true);
    },
  ],
  'valueless named enums (forward declarations) are never renamed': [
    /^enum opaque;\n\nenum opaque;$/m,
    (b) => {
      const int = b.int('int', 4, true);
      const fwd1 = b.add({ kind: 'ENUM', name: 'opaque', size: 4, signed: false, values: [] });
      const fwd2 = b.add({ kind: 'ENUM', name: 'opaque', size: 4, signed: false, values: [] });
      b.add({ kind: 'ENUM', name: 'opaque', size: 4, signed: false, values: [{ name: 'OPAQUE_A', value: 0 }] });
      b.composite('STRUCT', 'uses', 16, [['a', b.ref('PTR', fwd1), 0], ['b', b.ref('PTR', fwd2), 64]]);
      b.add({ kind: 'FWD', name: 'opaque_struct', union: false });
      b.add({ kind: 'FWD', name: 'opaque_struct', union: true });
      b.add({ kind: 'FWD', name: '', union: false });
      void int;
    },
  ],
  'anonymous enums: top-level when unreferenced or only a return type, inline otherwise': [
    /^typedef enum \{\n\tRET___2 = 2,\n\} ret_fn\(void\);$/m,
    (b) => {
      const anonTop = b.add({ kind: 'ENUM', name: '', size: 4, signed: false, values: [{ name: 'TOP', value: 1 }] });
      const anonRet = b.add({ kind: 'ENUM', name: '', size: 4, signed: false, values: [{ name: 'RET', value: 2 }] });
      const proto = b.add({ kind: 'FUNC_PROTO', name: '', returnType: anonRet, params: [] });
      b.typedef('ret_fn', proto);
      const anonMember = b.add({ kind: 'ENUM', name: '', size: 4, signed: false, values: [{ name: 'MEM', value: 3 }] });
      b.composite('STRUCT', 'has_enum', 4, [['e', anonMember, 0]]);
      void anonTop;
    },
  ],
  'function prototypes: (void), varargs, functions returning function pointers, const/volatile dropped': [
    /void \(\* \(\*outer\)\(int x\)\)\(void\);/,
    (b) => {
      const int = b.int('int', 4, true);
      const chr = b.int('char', 1, true);
      const none = b.add({ kind: 'FUNC_PROTO', name: '', returnType: 0, params: [] });
      const voidArg = b.add({ kind: 'FUNC_PROTO', name: '', returnType: int, params: [{ name: '', type: 0 }] });
      const cstr = b.ref('PTR', b.ref('CONST', chr));
      const printf = b.add({ kind: 'FUNC_PROTO', name: '', returnType: int, params: [{ name: 'fmt', type: cstr }, { name: '', type: 0 }] });
      const inner = b.add({ kind: 'FUNC_PROTO', name: '', returnType: b.ref('PTR', none), params: [{ name: 'x', type: int }] });
      const volatileProto = b.ref('VOLATILE', none);
      b.composite('STRUCT', 'ops', 48, [
        ['none', b.ref('PTR', none), 0],
        ['void_arg', b.ref('PTR', voidArg), 64],
        ['printf', b.ref('PTR', printf), 128],
        ['outer', b.ref('PTR', inner), 192],
        ['noreturn', b.ref('PTR', volatileProto), 256],
        ['table', b.ref('CONST', b.ref('PTR', b.array(b.ref('PTR', none), 4, int))), 320],
      ]);
      b.typedef('printf_t', printf);
    },
  ],
  'GCC const/volatile on arrays is dropped; pointer modifiers go right of the star': [
    /const int \* restrict \* volatile const cvp;/,
    (b) => {
      const int = b.int('int', 4, true);
      const cint = b.ref('CONST', int);
      const arr = b.array(cint, 3, int);
      b.composite('STRUCT', 'quals', 48, [
        ['gcc_arr', b.ref('VOLATILE', b.ref('CONST', arr)), 0],
        ['cvp', b.ref('CONST', b.ref('VOLATILE', b.ref('PTR', b.ref('RESTRICT', b.ref('PTR', cint))))), 128],
        ['arr2d', b.array(b.array(b.ref('PTR', int), 2, int), 2, int), 192],
      ]);
    },
  ],
  'type tags, also around const or kind-flagged (6.13+ attributes), and DECL_TAGs (ignored)': [
    /btf_type_tag\("address_space\(1\)"\)/,
    (b) => {
      const int = b.int('int', 4, true);
      const tag = b.add({ kind: 'TYPE_TAG', name: 'user', type: int, kindFlag: false });
      const tag2 = b.add({ kind: 'TYPE_TAG', name: 'rcu', type: b.ref('CONST', tag), kindFlag: false });
      const attr = b.add({ kind: 'TYPE_TAG', name: 'address_space(1)', type: 0, kindFlag: true });
      const tagged = b.composite('STRUCT', 'tagged', 24, [
        ['u', b.ref('PTR', tag), 0],
        ['r', b.ref('PTR', tag2), 64],
        ['a', b.ref('PTR', attr), 128],
      ]);
      b.add({ kind: 'DECL_TAG', name: 'ignored', type: tagged, componentIdx: 0, kindFlag: false });
      b.add({ kind: 'DECL_TAG', name: 'ignored_too', type: tagged, componentIdx: -1, kindFlag: false });
    },
  ],
  'pointer cycles through typedefs get the typedef early, structs a forward declaration': [
    /^typedef struct node node_t;$/m,
    (b) => {
      // Ids are fixed up front because the types refer to each other in a cycle.
      const int = b.int('int', 4, true); // 1
      const nodeT = b.typedef('node_t', 4); // 2
      const nodeTPtr = b.ref('PTR', nodeT); // 3
      b.composite('STRUCT', 'node', 24, [['next', nodeTPtr, 0], ['val', int, 64], ['peer', 6, 128]]); // 4
      const peerT = b.typedef('peer_t', 7); // 5
      b.ref('PTR', peerT); // 6
      b.composite('STRUCT', 'peer', 8, [['back', 8, 0]]); // 7
      b.ref('PTR', 4); // 8
    },
  ],
  '32-bit target (4-byte long): 32-bit pointers and `long: 32` padding': [
    /^\tlong: 32;$/m,
    (b) => {
      const long = b.int('long int', 4, true);
      const chr = b.int('char', 1, true);
      const llong = b.int('long long int', 8, true);
      b.composite('STRUCT', 'ilp32', 24, [['c', chr, 0], ['p', b.ref('PTR', chr), 32], ['l', long, 64], ['ll', llong, 128]]);
      b.composite('STRUCT', 'gap32', 16, [['c', chr, 0], ['d', chr, 96]]);
      const e8 = b.add({ kind: 'ENUM', name: 'e8', size: 8, signed: false, values: [{ name: 'E8', value: 1 }] });
      b.composite('STRUCT', 'has_e8', 8, [['e', e8, 0]]);
    },
  ],
  'padding: holes, overlaps, packed tails, bitfield runs, unions never packed': [
    /^\tlong: 37;$/m,
    (b) => {
      const chr = b.int('char', 1, true);
      const sht = b.int('short', 2, true);
      const int = b.int('int', 4, true);
      const lng = b.int('long', 8, true);
      const flt = b.add({ kind: 'FLOAT', name: 'double', size: 8 });
      b.composite('STRUCT', 'holes', 40, [['a', chr, 0], ['b', chr, 24], ['c', int, 96], ['d', lng, 192], ['e', chr, 264]]);
      b.composite('STRUCT', 'overlap', 8, [['a', int, 32], ['b', int, 0]]);
      b.composite('STRUCT', 'packed_mid', 11, [['a', chr, 0], ['b', lng, 8], ['c', sht, 72]]);
      b.composite('STRUCT', 'bits', 16, [['a', int, 0, 3], ['b', int, 20, 7], ['c', lng, 64, 1], ['d', chr, 100, 2]]);
      b.composite('UNION', 'odd_union', 5, [['a', int, 0], ['b', chr, 0]]);
      b.composite('STRUCT', 'only_padding', 24, []);
      b.composite('STRUCT', 'floats', 16, [['f', flt, 0], ['c', chr, 64]]);
      b.composite('STRUCT', 'char_tail', 3, [['a', chr, 0]]);
    },
  ],
  'ENUM64 values and signedness': [
    /^\tS_MIN = -9223372036854775808LL,$/m,
    (b) => {
      b.add({ kind: 'ENUM64', name: 'u64e', size: 8, signed: false, values: [{ name: 'U_MAX', value: 0xffff_ffff_ffff_ffffn }, { name: 'U_LOW', value: 5n }] });
      b.add({ kind: 'ENUM64', name: 's64e', size: 8, signed: true, values: [{ name: 'S_MIN', value: -(1n << 63n) }, { name: 'S_NEG', value: -1n }] });
      b.add({ kind: 'ENUM', name: 's32e', size: 4, signed: true, values: [{ name: 'S32_MIN', value: -2147483648 }, { name: 'S32_NEG', value: -7 }] });
      b.add({ kind: 'ENUM', name: 'u32e', size: 4, signed: false, values: [{ name: 'U32_MAX', value: 0xffff_ffff }] });
      b.add({ kind: 'ENUM', name: 'one_byte', size: 1, signed: false, values: [{ name: 'OB', value: 1 }] });
    },
  ],
};

describe('dumpBtfAsC on hand-made BTF', function () {
  describe('identical to bpftool', function () {
    for (const [title, [shows, build]] of Object.entries(CASES)) {
      it(title, function () {
        requireTool(this, BPFTOOL);
        const b = new BtfListBuilder();
        build(b);
        const reference = bpftoolDumpRawC(b.bytes());
        expect(reference).to.match(shows);
        expect(dumpBtfAsC(b.parsed())).to.equal(reference);
      });
    }
  });

  it('split BTF (module on vmlinux): base types are dumped too, as bpftool -B does', function () {
    requireTool(this, BPFTOOL);
    const base = new BtfListBuilder();
    const int = base.int('int', 4, true);
    const baseStruct = base.composite('STRUCT', 'base_s', 8, [['a', int, 0], ['b', int, 32]]);
    base.typedef('base_t', baseStruct);
    const baseBytes = base.bytes();
    const split = new BtfListBuilder(base.parsed());
    const ptr = split.ref('PTR', baseStruct);
    split.composite('STRUCT', 'mod_s', 24, [['embedded', baseStruct, 0], ['link', ptr, 64], ['n', int, 128]]);
    split.composite('STRUCT', 'base_s', 4, [['shadow', int, 0]]);
    const reference = bpftoolDumpRawC(split.bytes(), baseBytes);
    expect(reference).to.match(/^struct base_s___2 \{$/m);
    expect(dumpBtfAsC(split.parsed())).to.equal(reference);
  });

  describe('errors', function () {
    it('a struct embedding itself through another struct is an unsatisfiable cycle (bpftool fails too)', function () {
      const b = new BtfListBuilder();
      const int = b.int('int', 4, true);
      b.composite('STRUCT', 'outer', 8, [['x', int, 0], ['in', 3, 32]]);
      b.composite('STRUCT', 'inner', 8, [['y', int, 0], ['out', 2, 32]]);
      const btf = b.parsed();
      let error: unknown;
      try {
        dumpBtfAsC(btf);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(BtfDumpError);
      expect(error).to.be.instanceOf(BtfError);
      expect((error as BtfDumpError).typeId).to.equal(2);
      expect((error as Error).message).to.equal("unsatisfiable type cycle through STRUCT 'outer' (type id 2)");
      requireTool(this, BPFTOOL);
      // libbpf names the same type.
      expect(() => bpftoolDumpRawC(b.bytes())).to.throw(/libbpf: unsatisfiable type cycle, id:\[2\]/);
    });

    it('an anonymous struct reached again through a pointer is a cycle no forward declaration can break', function () {
      const b = new BtfListBuilder();
      b.composite('STRUCT', '', 8, [['self', 2, 0]]);
      b.ref('PTR', 1);
      b.typedef('anon_t', 1);
      expect(() => dumpBtfAsC(b.parsed())).to.throw(BtfDumpError, "unsatisfiable type cycle through STRUCT '' (type id 1)");
    });

    it('a VAR used as a member type has no C declaration', function () {
      const b = new BtfListBuilder();
      const int = b.int('int', 4, true);
      const v = b.add({ kind: 'VAR', name: 'global', type: int, linkage: 1 });
      b.composite('STRUCT', 'bad', 4, [['v', v, 0]]);
      expect(() => dumpBtfAsC(b.parsed())).to.throw(BtfDumpError, 'VAR cannot appear in a C type declaration (type id 2)');
    });

    it('a FUNC inside a pointer chain has no C declaration', function () {
      const b = new BtfListBuilder();
      const proto = b.add({ kind: 'FUNC_PROTO', name: '', returnType: 0, params: [] });
      const fn = b.add({ kind: 'FUNC', name: 'f', type: proto, linkage: 1 });
      b.typedef('fn_ptr', b.ref('PTR', fn));
      expect(() => dumpBtfAsC(b.parsed())).to.throw(BtfDumpError, 'FUNC cannot appear in a C type declaration (type id 2)');
    });

    it('a typedef cycle and a pointer to itself are refused, not a stack overflow (fuzz regressions)', function () {
      const loop = new BtfListBuilder();
      loop.typedef('a_t', 2);
      loop.typedef('b_t', 1);
      expect(() => dumpBtfAsC(loop.parsed())).to.throw(BtfDumpError, "type cycle through TYPEDEF 'a_t' that no struct breaks (type id 1)");
      const self = new BtfListBuilder();
      self.ref('PTR', 1);
      expect(() => dumpBtfAsC(self.parsed())).to.throw(BtfDumpError, "type cycle through PTR '' that no struct breaks (type id 1)");
    });

    it('a member past the end of its struct, or a struct over 16 MiB, is refused instead of padded for hours', function () {
      const past = new BtfListBuilder();
      const int = past.int('int', 4, true);
      past.composite('STRUCT', 's', 8, [['x', int, 0], ['far', int, 0xfffffff0]]);
      expect(() => dumpBtfAsC(past.parsed())).to.throw(BtfDumpError, "member 'far' of STRUCT 's' at bit 4294967280 lies past its 8 bytes (type id 2)");
      const huge = new BtfListBuilder();
      const i2 = huge.int('int', 4, true);
      huge.composite('STRUCT', 'big', 0x80000000, [['x', i2, 0]]);
      expect(() => dumpBtfAsC(huge.parsed())).to.throw(BtfDumpError, "STRUCT 'big' has size 2147483648, larger than BTF allows (16777216) (type id 2)");
    });

    it('root ids outside the table are rejected before anything is written', function () {
      const b = new BtfListBuilder();
      b.int('int', 4, true);
      const btf = b.parsed();
      expect(() => dumpBtfAsC(btf, { rootIds: [2] })).to.throw(BtfDumpError, 'type id out of range 0..1 (type id 2)');
      expect(() => dumpBtfAsC(btf, { rootIds: [-1] })).to.throw(BtfDumpError, 'type id out of range 0..1 (type id -1)');
      expect(() => dumpBtfAsC(btf, { rootIds: [1.5] })).to.throw(BtfDumpError, 'type id out of range 0..1 (type id 1.5)');
    });
  });
});
