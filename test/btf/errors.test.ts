import { expect } from 'chai';
import { Btf, BtfError, BtfKind, loadModuleBtf, parseBtf, parseBtfExt, parseBtfHeader } from '../../src/btf/index.js';
import { BpfTsError } from '../../src/errors/index.js';
import { craftBtf, info, INT_WORDS } from './craft.js';

const K = BtfKind;

function btfError(f: () => unknown): BtfError {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(BtfError);
    expect(e).to.be.instanceOf(BpfTsError);
    return e as BtfError;
  }
  expect.fail('no BtfError thrown');
}

function expectBtfError(f: () => unknown, message: string, context: { offset?: number; typeId?: number } = {}): void {
  const e = btfError(f);
  expect(e.message).to.equal(message);
  expect(e.name).to.equal('BtfError');
  if ('offset' in context) expect(e.offset).to.equal(context.offset);
  if ('typeId' in context) expect(e.typeId).to.equal(context.typeId);
}

describe('BtfError paths', function () {
  describe('header', function () {
    it('truncated, magic, version, flags, hdr_len', function () {
      expectBtfError(() => parseBtf(new Uint8Array(5)), 'BTF header truncated: 5 bytes, need at least 8 (offset 0)', { offset: 0 });
      expectBtfError(() => parseBtf(craftBtf(INT_WORDS, '\0int\0', { header: { 0: 0x12 } })), 'bad BTF magic 0xeb12, want 0xeb9f (offset 0)', { offset: 0 });
      expectBtfError(() => parseBtf(craftBtf(INT_WORDS, '\0int\0', { header: { 2: 2 } })), 'unsupported BTF version 2 (offset 2)', { offset: 2 });
      expectBtfError(() => parseBtf(craftBtf(INT_WORDS, '\0int\0', { header: { 3: 1 } })), 'unsupported BTF header flags 0x1 (offset 3)');
      expectBtfError(() => parseBtf(craftBtf(INT_WORDS, '\0int\0', { header: { 4: 20 } })), 'BTF hdr_len 20 is smaller than 24 (offset 4)');
      expectBtfError(() => parseBtf(craftBtf([], '', { header: { 4: 4096 } })), 'BTF header truncated: hdr_len 4096 exceeds blob size 24 (offset 4)');
    });

    it('section offsets, lengths and overlap', function () {
      expectBtfError(() => parseBtfHeader(craftBtf(INT_WORDS, '\0int\0', { header: { 8: 2 } })), 'BTF type section offset 2 is not 4-byte aligned (offset 8)');
      expectBtfError(() => parseBtfHeader(craftBtf(INT_WORDS, '\0int\0', { header: { 12: 6 } })), 'BTF type section length 6 is not a multiple of 4 (offset 12)');
      expectBtfError(() => parseBtfHeader(craftBtf(INT_WORDS, '\0int\0', { header: { 12: 4000 } })), 'BTF type section [24, 4024) runs past the end of the 45-byte blob (offset 8)');
      expectBtfError(() => parseBtfHeader(craftBtf(INT_WORDS, '\0int\0', { header: { 20: 100 } })), 'BTF string section [40, 140) runs past the end of the 45-byte blob (offset 16)');
      expectBtfError(() => parseBtfHeader(craftBtf(INT_WORDS, '\0int\0', { header: { 16: 8 } })), 'BTF type and string sections overlap (offset 8)');
    });

    it('big-endian header fields are read big-endian', function () {
      const h = parseBtfHeader(craftBtf(INT_WORDS, '\0int\0', { littleEndian: false }));
      expect(h).to.include({ littleEndian: false, hdrLen: 24, typeLen: 16, strLen: 5 });
    });
  });

  describe('strings', function () {
    it('must start with an empty string and end with NUL', function () {
      expectBtfError(() => parseBtf(craftBtf(INT_WORDS, 'xint\0')), 'BTF string section must start with an empty string (offset 40)');
      expectBtfError(() => parseBtf(craftBtf(INT_WORDS, '\0int')), 'BTF string section is not NUL-terminated (offset 43)');
      expectBtfError(() => parseBtf(craftBtf([], '')), 'BTF string section must start with an empty string (offset 24)');
    });

    it('name and member offsets past the section', function () {
      expectBtfError(() => parseBtf(craftBtf([99, info(K.INT), 4, 32])), 'name offset 99 is outside the string section (size 5) (type id 1, offset 24)', { typeId: 1, offset: 24 });
      const btf = parseBtf(craftBtf([...INT_WORDS, 0, info(K.STRUCT, 1), 4, 77, 1, 0]));
      expectBtfError(() => btf.typeById(2), 'string offset 77 is outside the string section (size 5) (type id 2, offset 40)', { typeId: 2 });
      expectBtfError(() => btf.strings.get(5), 'string offset 5 is outside the string section (size 5) (offset 64)');
    });
  });

  describe('type section', function () {
    it('truncated record, unknown kind, vlen past the end', function () {
      expectBtfError(() => parseBtf(craftBtf([...INT_WORDS, 0, info(K.PTR)])), 'type record truncated: 8 bytes left, need 12 (type id 2, offset 40)', { typeId: 2, offset: 40 });
      expectBtfError(() => parseBtf(craftBtf([0, info(20), 0])), 'unknown BTF kind 20 (type id 1, offset 24)', { typeId: 1 });
      expectBtfError(() => parseBtf(craftBtf([0, info(K.STRUCT, 0xffff), 4])), 'STRUCT with vlen 65535 runs 786420 bytes past the type section (type id 1, offset 24)');
      expectBtfError(() => parseBtf(craftBtf([0, info(K.INT), 4])), 'INT with vlen 0 runs 4 bytes past the type section (type id 1, offset 24)');
    });

    it('type id out of range, in lookups and in references', function () {
      const btf = parseBtf(craftBtf([...INT_WORDS, 0, info(K.PTR), 9, 0, info(K.ARRAY), 0, 1, 7, 1]));
      expectBtfError(() => btf.typeById(Number.NaN), 'type id not in [1, 4) (type id NaN)');
      for (const id of [0, 4, -1, 1.5]) expectBtfError(() => btf.typeById(id), `type id not in [1, 4) (type id ${id})`, { typeId: id });
      expectBtfError(() => btf.kindOf(4), 'type id not in [1, 4) (type id 4)');
      expectBtfError(() => btf.typeName(-3), 'type id not in [1, 4) (type id -3)');
      expectBtfError(() => btf.typeById(2), 'PTR references type id 9, but only 3 types exist (type id 2, offset 40)', { typeId: 2, offset: 40 });
      expectBtfError(() => btf.typeById(3), 'ARRAY index references type id 7, but only 3 types exist (type id 3, offset 52)');
    });

    it('invalid FUNC and VAR linkage', function () {
      const btf = parseBtf(craftBtf([...INT_WORDS, 0, info(K.FUNC_PROTO), 1, 1, info(K.FUNC, 3), 2, 1, info(K.VAR), 1, 7]));
      expectBtfError(() => btf.typeById(3), 'invalid linkage 3 (type id 3, offset 52)');
      expectBtfError(() => btf.typeById(4), 'invalid linkage 7 (type id 4, offset 76)');
    });

    it('split BTF with a base of the other byte order', function () {
      const base = parseBtf(craftBtf(INT_WORDS));
      expectBtfError(() => parseBtf(craftBtf([], '', { littleEndian: false }), { base }), 'split BTF and its base BTF have different byte orders (offset 0)');
    });
  });

  describe('queries', function () {
    // 1 int, 2 typedef->3, 3 typedef->2 (cycle), 4 PTR->4 (self), 5 FUNC_PROTO, 6 FUNC, 7 array of 2^20 x array 2^20 ints
    const words = [
      ...INT_WORDS,
      1, info(K.TYPEDEF), 3,
      1, info(K.TYPEDEF), 2,
      0, info(K.PTR), 4,
      0, info(K.FUNC_PROTO), 1,
      1, info(K.FUNC), 5,
      0, info(K.ARRAY), 0, 1, 1, 1 << 20,
      0, info(K.ARRAY), 0, 7, 1, 1 << 20,
      0, info(K.STRUCT, 1), 4, 0, 9, 0,
      0, info(K.STRUCT, 1), 4, 0, 11, 0,
      0, info(K.STRUCT, 1), 4, 0, 10, 0,
      1, info(K.INT), 0, 0,
      0, info(K.STRUCT, 1), 1, 0, 12, 0,
    ];
    let btf: Btf;
    before(function () {
      btf = parseBtf(craftBtf(words));
    });

    it('cyclic typedefs: resolveType and sizeOf throw instead of hanging', function () {
      expectBtfError(() => btf.resolveType(2), 'type chain longer than 32 (cyclic modifiers or typedefs?) (type id 2)', { typeId: 2 });
      expectBtfError(() => btf.sizeOf(3), 'type chain longer than 32 (cyclic type?) (type id 3)');
      expectBtfError(() => btf.alignOf(2), 'type 2 contains itself (cyclic type) (type id 2)');
    });

    it('a PTR to itself has a size and alignment (it is a pointer), and resolves to itself', function () {
      expect(btf.resolveType(4)).to.equal(4);
      expect(btf.sizeOf(4)).to.equal(8);
      expect(btf.alignOf(4)).to.equal(8);
    });

    it('sizeless kinds, void, and sizes past u32', function () {
      expectBtfError(() => btf.sizeOf(5), 'FUNC_PROTO has no size (type id 5)');
      expectBtfError(() => btf.sizeOf(6), 'FUNC has no size (type id 6)');
      expectBtfError(() => btf.sizeOf(0), 'void has no size (type id 0)');
      expect(btf.sizeOf(7)).to.equal(4 << 20);
      expectBtfError(() => btf.sizeOf(8), 'size 1099511627776 does not fit in 32 bits (type id 8)');
      expectBtfError(() => btf.alignOf(0), 'void has no alignment (type id 0)');
      expectBtfError(() => btf.alignOf(6), 'FUNC has no alignment (type id 6)');
    });

    it('structs containing each other: alignOf detects the cycle', function () {
      expectBtfError(() => btf.alignOf(9), 'type 9 contains itself (cyclic type) (type id 9)');
    });

    it('a member of a zero-sized INT has no valid alignment', function () {
      expectBtfError(() => btf.alignOf(13), "member '' has alignment 0 (type id 13)");
    });
  });

  describe('.BTF.ext', function () {
    const btf = parseBtf(craftBtf(INT_WORDS, '\0int\0.text\0'));
    /** A .BTF.ext: 32-byte header then `body` words; `hdr` overrides header u32 fields by offset. */
    const ext = (body: readonly number[], hdr: Readonly<Record<number, number>> = {}): Uint8Array => {
      const out = new Uint8Array(32 + body.length * 4);
      const v = new DataView(out.buffer);
      v.setUint16(0, 0xeb9f, true);
      v.setUint8(2, 1);
      v.setUint32(4, 32, true);
      for (const [off, value] of Object.entries(hdr)) {
        if (Number(off) < 4) v.setUint8(Number(off), value);
        else v.setUint32(Number(off), value >>> 0, true);
      }
      body.forEach((w, i) => v.setUint32(32 + i * 4, w >>> 0, true));
      return out;
    };
    // func_info: record size 8, section '.text' (5) with 1 record
    const funcBody = [8, 5, 1, 0, 1];

    it('parses a minimal func_info', function () {
      const r = parseBtfExt(ext(funcBody, { 8: 0, 12: 20 }), btf);
      expect(r.funcInfo).to.deep.equal([{ section: '.text', records: [{ insnOff: 0, typeId: 1 }] }]);
    });

    it('header errors', function () {
      expectBtfError(() => parseBtfExt(new Uint8Array(4), btf), '.BTF.ext header truncated: 4 bytes (offset 0)');
      expectBtfError(() => parseBtfExt(ext([], { 0: 0 }), btf), 'bad .BTF.ext magic 0xeb00 (offset 0)');
      expectBtfError(() => parseBtfExt(ext([], { 2: 3 }), btf), 'unsupported .BTF.ext version 3 (offset 2)');
      expectBtfError(() => parseBtfExt(ext([], { 3: 1 }), btf), 'unsupported .BTF.ext flags 0x1 (offset 3)');
      expectBtfError(() => parseBtfExt(ext([], { 4: 64 }), btf), '.BTF.ext hdr_len 64 exceeds section size 32 (offset 4)');
      expectBtfError(() => parseBtfExt(ext([], { 4: 16 }), btf), '.BTF.ext hdr_len 16 is missing func_info/line_info (offset 4)');
    });

    it('info section errors', function () {
      expectBtfError(() => parseBtfExt(ext(funcBody, { 8: 2, 12: 20 }), btf), '.BTF.ext func_info is not 4-byte aligned (offset 8)');
      expectBtfError(() => parseBtfExt(ext(funcBody, { 8: 0, 12: 40 }), btf), '.BTF.ext func_info [32, 72) runs past the 52-byte section (offset 8)');
      expectBtfError(() => parseBtfExt(ext(funcBody, { 8: 0, 12: 2 }), btf), '.BTF.ext func_info has no record size (offset 32)');
      expectBtfError(() => parseBtfExt(ext([6, 5, 1, 0, 1], { 8: 0, 12: 20 }), btf), '.BTF.ext func_info has invalid record size 6 (offset 32)');
      expectBtfError(() => parseBtfExt(ext(funcBody, { 8: 0, 12: 4 }), btf), '.BTF.ext func_info has no records (offset 32)');
      expectBtfError(() => parseBtfExt(ext(funcBody, { 8: 0, 12: 8 }), btf), '.BTF.ext func_info section header truncated (offset 36)');
      expectBtfError(() => parseBtfExt(ext([8, 5, 0], { 8: 0, 12: 12 }), btf), ".BTF.ext func_info section '.text' has invalid num_info 0 (offset 40)");
      expectBtfError(() => parseBtfExt(ext([8, 5, 3, 0, 1], { 8: 0, 12: 20 }), btf), ".BTF.ext func_info section '.text' has invalid num_info 3 (offset 40)");
      expectBtfError(() => parseBtfExt(ext([8, 99, 1, 0, 1], { 8: 0, 12: 20 }), btf), ".BTF.ext string offset 99 is outside .BTF's string section (offset 36)");
    });

    it('line_info strings and core_relo kinds', function () {
      expectBtfError(() => parseBtfExt(ext([16, 5, 1, 0, 77, 0, 0], { 16: 0, 20: 28 }), btf), ".BTF.ext string offset 77 is outside .BTF's string section (offset 48)");
      const line = parseBtfExt(ext([16, 5, 1, 8, 1, 1, (42 << 10) | 7], { 16: 0, 20: 28 }), btf);
      expect(line.lineInfo[0]?.records[0]).to.deep.equal({ insnOff: 8, fileNameOff: 1, fileName: 'int', lineOff: 1, line: 'int', lineNum: 42, column: 7 });
      expectBtfError(() => parseBtfExt(ext([16, 5, 1, 0, 1, 0, 13], { 24: 0, 28: 28 }), btf), 'unknown CO-RE relocation kind 13 (offset 56)');
      const core = parseBtfExt(ext([16, 5, 1, 0, 1, 0, 12], { 24: 0, 28: 28 }), btf);
      expect(core.coreRelos[0]?.records[0]).to.deep.equal({ insnOff: 0, typeId: 1, accessStrOff: 0, accessStr: '', kind: 12 });
    });
  });

  describe('kernel BTF files', function () {
    it('missing module and invalid module names', function () {
      expectBtfError(() => loadModuleBtf('bpf_ts_no_such_module'), 'cannot read /sys/kernel/btf/bpf_ts_no_such_module: ENOENT (kernel built without CONFIG_DEBUG_INFO_BTF, or no such module loaded?)');
      expectBtfError(() => loadModuleBtf('../etc/passwd'), "invalid module name '../etc/passwd'");
      expectBtfError(() => loadModuleBtf(''), "invalid module name ''");
    });
  });
});
