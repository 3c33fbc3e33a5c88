/**
 * Every ObjectSpecError path: objects libbpf itself refuses (checked with the libbpf oracle),
 * and real corpus objects with one field patched to what a broken compiler or linker could write.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BtfError } from '../../src/btf/index.js';
import { parseElf } from '../../src/elf/index.js';
import { ObjectSpecError } from '../../src/loader/errors.js';
import { parseObjectSpec, type ObjectSpec } from '../../src/loader/object-spec.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requireTool } from '../helpers/privileges.js';
import { CC, LIBBPF_HEADER, libbpfOpen } from './reference-tools.js';

function bytesOf(rel: string): Buffer {
  return Buffer.from(readFileSync(join(BPF_DIR, rel)));
}

function expectSpecError(bytes: Uint8Array, fileName: string, message: RegExp): ObjectSpecError {
  let caught: unknown;
  try {
    parseObjectSpec(bytes, { fileName });
  } catch (e) {
    caught = e;
  }
  expect(caught, 'parseObjectSpec should throw').to.be.instanceOf(ObjectSpecError);
  const err = caught as ObjectSpecError;
  expect(err.message).to.match(message);
  expect(err.fileName).to.equal(fileName);
  return err;
}

/** Byte offsets of ELF records inside `bytes`, found with our ELF reader. */
function layout(bytes: Uint8Array): {
  section(name: string): { header: number; offset: number; nameOffset: number; index: number };
  symbol(name: string): { at: number; index: number };
  rel(section: string, i: number): number;
} {
  const elf = parseElf(bytes);
  const shoff = elf.header.sectionHeaderOffset;
  const symtab = elf.symbolTable;
  if (symtab === undefined) throw new Error('no symtab');
  return {
    section(name) {
      const s = elf.sectionByName(name);
      if (s === undefined) throw new Error(`no section ${name}`);
      return { header: shoff + s.index * 64, offset: s.offset, nameOffset: s.nameOffset, index: s.index };
    },
    symbol(name) {
      const s = elf.symbols.find((x) => x.name === name);
      if (s === undefined) throw new Error(`no symbol ${name}`);
      return { at: symtab.offset + s.index * 24, index: s.index };
    },
    rel(section, i) {
      const s = elf.sectionByName(section);
      if (s === undefined) throw new Error(`no section ${section}`);
      return s.offset + i * 16;
    },
  };
}


/** Renames section `name` by pointing its sh_name at another section's name. */
function hide(b: Buffer, name: string, as: string): void {
  const l = layout(b);
  b.writeUInt32LE(l.section(as).nameOffset, l.section(name).header);
}

/** Offsets inside the `.BTF` section of `bytes`: string lookup and type records by name and kind. */
function btfLayout(bytes: Buffer): { stringAt(text: string): number; record(name: string, kind: number): number } {
  const btf = layout(bytes).section('.BTF').offset;
  const hdrLen = bytes.readUInt32LE(btf + 4);
  const typeStart = btf + hdrLen + bytes.readUInt32LE(btf + 8);
  const typeEnd = typeStart + bytes.readUInt32LE(btf + 12);
  const strStart = btf + hdrLen + bytes.readUInt32LE(btf + 16);
  const strEnd = strStart + bytes.readUInt32LE(btf + 20);
  const stringOff = (text: string): number => {
    const at = bytes.subarray(strStart, strEnd).indexOf(Buffer.from(`\0${text}\0`, 'latin1'));
    if (at < 0) throw new Error(`no BTF string ${text}`);
    return at + 1;
  };
  return {
    stringAt: (text) => strStart + stringOff(text),
    record(name, kind) {
      const nameOff = stringOff(name);
      for (let at = typeStart; at + 8 <= typeEnd; at += 4) {
        if (bytes.readUInt32LE(at) === nameOff && ((bytes.readUInt32LE(at + 4) >>> 24) & 0x1f) === kind) return at;
      }
      throw new Error(`no BTF record ${name}`);
    },
  };
}

describe('loader/errors: objects libbpf refuses are refused with ObjectSpecError', () => {
  /** Object, expected message, and whether libbpf 1.1 already refuses it at open. */
  const cases: [string, RegExp, boolean][] = [
    ['spec/bad_map_field.bpf.o', /section '\.maps': map 'bad': unknown field 'color'/, true],
    ['spec/bad_map_key_size.bpf.o', /map 'bad': conflicting key size 4 != 8/, true],
    ['spec/bad_map_key_size_first.bpf.o', /map 'bad': conflicting key size 8 != 4/, true],
    ['spec/bad_map_attr_64bit.bpf.o', /map 'bad': attr 'max_entries': value 4294967296 does not fit in 32 bits/, true],
    ['spec/bad_map_value_size.bpf.o', /map 'bad': conflicting value size 4 != 8/, true],
    ['spec/bad_map_pinning.bpf.o', /map 'bad': invalid pinning value 2/, true],
    ['spec/bad_map_no_type.bpf.o', /map 'bad': map type isn't specified/, true],
    ['spec/bad_map_not_struct.bpf.o', /map 'bad': definition must be a struct, got void/, true],
    ['spec/bad_map_key_not_ptr.bpf.o', /map 'bad': key spec is not a pointer: INT/, true],
    ['spec/bad_map_key_void.bpf.o', /map 'bad': can't determine key size for type \[0\]/, true],
    ['spec/bad_map_uint_not_ptr.bpf.o', /map 'bad': attr 'max_entries': expected PTR, got INT/, true],
    ['spec/bad_map_uint_not_array.bpf.o', /map 'bad': attr 'max_entries': expected ARRAY, got INT/, true],
    ['spec/bad_map_enum_attr.bpf.o', /map 'bad': attr 'map_extra': expected an enum with one value/, true],
    ['spec/bad_map_values.bpf.o', /map 'bad': 'values' is only for prog arrays and map-in-maps, not map type 1/, true],
    ['spec/bad_map_values_not_last.bpf.o', /map 'bad': 'values' must be the last member/, true],
    ['spec/bad_map_values_sized.bpf.o', /map 'bad': 'values' must be a zero-sized array/, true],
    ['spec/bad_map_values_not_ptrs.bpf.o', /map 'bad': 'values' must be an array of pointers/, true],
    ['spec/bad_map_values_int.bpf.o', /map 'bad': 'values' of a map-in-map must point to a map definition struct/, true],
    ['spec/bad_map_prog_values_struct.bpf.o', /map 'bad': 'values' of a prog array must point to functions/, true],
    ['spec/bad_map_values_size.bpf.o', /map 'bad': conflicting value size 8 != 4/, true],
    ['spec/bad_map_inner_pinning.bpf.o', /map 'bad\.inner': inner maps cannot be pinned/, true],
    ['spec/bad_map_multilevel.bpf.o', /map 'bad\.inner': multi-level inner maps are not supported/, true],
    ['spec/bad_map_slot_subprog.bpf.o', /section '\.rel\.maps': map 'bad': prog array slot names 'helper_fn', which isn't an entry-point program/, true],
    ['spec/bad_map_slot_prog.bpf.o', /section '\.rel\.maps': map 'bad': map-in-map slot names 'a_prog', which isn't a BTF-defined map/, true],
    ['spec/bad_map_hom_key.bpf.o', /map 'bad': hash-of-maps with initial values must have 4-byte keys, not 8/, true],
    // libbpf notices this one only when it fills the prog array at load.
    ['spec/bad_map_slot_beyond.bpf.o', /map 'bad': slot 5 is beyond max_entries 2/, false],
    ['spec/bad_kconfig.bpf.o', /extern \(kconfig\) 'CONFIG_BPF_TS_PAIR': type \[\d+\] is not supported/, true],
    ['spec/bad_kconfig_func.bpf.o', /extern function 'bpf_ts_kconfig_fn' is not supported in '\.kconfig'/, true],
    ['spec/bad_extern_section.bpf.o', /extern 'bpf_ts_odd_extern' is in unrecognized section '\.odd'/, true],
    ['spec/bad_struct_ops_not_struct.bpf.o', /section '\.struct_ops': struct_ops 'bad_ops' is not a struct/, true],
    ['spec/bad_struct_ops_anon.bpf.o', /struct_ops 'bad_ops' has an anonymous type, which is not supported/, true],
    ['spec/bad_struct_ops_member.bpf.o', /section '\.rel\.struct_ops': relocation against 'run_op' is not a function pointer member of a struct_ops value/, true],
    ['spec/bad_struct_ops_prog_type.bpf.o', /struct_ops 'bad_ops': program 'not_struct_ops' is not a struct_ops program/, true],
    ['spec/bad_struct_ops_subprog.bpf.o', /struct_ops 'bad_ops': member 'run' names 'plain_function', which is not a program/, true],
    ['spec/bad_static_prog.bpf.o', /section 'socket': program 'hidden_prog' is static and not supported/, true],
  ];
  for (const [rel, message, libbpfRefuses] of cases) {
    it(`${rel}: ${message.source}`, function () {
      const err = expectSpecError(bytesOf(rel), rel, message);
      expect(err.symbol ?? err.section).to.be.a('string');
      requireTool(this, CC);
      requireTool(this, LIBBPF_HEADER);
      const lib = libbpfOpen(join(BPF_DIR, rel));
      if (libbpfRefuses) expect(lib.error, 'libbpf refuses it too').to.be.lessThan(0);
      else expect(lib.error).to.equal(undefined);
    });
  }

  it('every bad_*.bpf.o in bpf/spec has a case here', () => {
    const listed = new Set(cases.map((c) => c[0]));
    for (const f of readdirSync(join(BPF_DIR, 'spec'))) if (f.startsWith('bad_') && f.endsWith('.bpf.o')) expect(listed.has(`spec/${f}`), f).to.equal(true);
  });

  it('relaxedMaps accepts unknown BTF map members, like libbpf relaxed_maps', () => {
    const spec = parseObjectSpec(bytesOf('spec/bad_map_field.bpf.o'), { fileName: 'x', relaxedMaps: true });
    expect([spec.map('bad')?.type, spec.map('bad')?.maxEntries]).to.deep.equal([1, 4]);
  });
});

describe('loader/errors: patched corpus objects', () => {
  it('no symbol table', () => {
    const b = bytesOf('minimal.bpf.o');
    // SHT_SYMTAB -> SHT_PROGBITS, and the relocation sections that link to it too.
    const elf = parseElf(b);
    for (const s of elf.sections) if (s.type === 2 || s.type === 9) b.writeUInt32LE(1, elf.header.sectionHeaderOffset + s.index * 64 + 4);
    expectSpecError(b, 'm.o', /^m\.o: no symbol table \('\.symtab'\): stripped object file\?$/);
  });

  it('a version section that is not 4 bytes', () => {
    const b = bytesOf('legacy_maps.bpf.o');
    b.writeBigUInt64LE(2n, layout(b).section('version').header + 32);
    const err = expectSpecError(b, 'l.o', /section 'version': invalid kernel version section: 2 bytes, expected 4/);
    expect(err.section).to.equal('version');
  });

  it('a program crossing the end of its section', () => {
    const b = bytesOf('minimal.bpf.o');
    b.writeBigUInt64LE(0x10000n, layout(b).symbol('accept_all').at + 16);
    const err = expectSpecError(b, 'm.o', /section 'socket': program 'accept_all' \(65536 bytes at 0\) crosses the section's end/);
    expect(err.symbol).to.equal('accept_all');
  });

  it('a program that is not whole instructions', () => {
    const b = bytesOf('minimal.bpf.o');
    b.writeBigUInt64LE(12n, layout(b).symbol('accept_all').at + 16);
    expectSpecError(b, 'm.o', /program 'accept_all' is not made of whole 8-byte instructions \(12 bytes at 0\)/);
  });

  it('a relocation on an instruction that is neither call nor ld_imm64', () => {
    const b = bytesOf('maps.bpf.o');
    const spec = parseObjectSpec(b);
    const prog = spec.program('use_maps');
    const first = prog?.relocations.find((r) => r.kind === 'map');
    if (prog === undefined || first === undefined) throw new Error('corpus changed');
    b[layout(b).section('socket').offset + prog.sectionOffset + first.insnIndex * 8] = 0xb7;
    const err = expectSpecError(b, 'maps.o', new RegExp(`program 'use_maps': invalid relocation against '${first.symbol}' for insns\\[${first.insnIndex}\\]\\.code 0xb7`));
    expect(err.program).to.equal('use_maps');
    expect(err.offset).to.equal(prog.sectionOffset + first.insnIndex * 8);
  });

  it('a relocated call that is not BPF_PSEUDO_CALL', () => {
    const b = bytesOf('subprogs.bpf.o');
    const spec = parseObjectSpec(b);
    const call = spec.program('prog_a')?.relocations.find((r) => r.kind === 'call');
    if (call === undefined) throw new Error('corpus changed');
    b[layout(b).section('socket').offset + call.insnIndex * 8 + 1] = 0x00;
    expectSpecError(b, 's.o', /program 'prog_a': call relocation against '.+' has src_reg 0, not BPF_PSEUDO_CALL/);
  });

  it('a call into the middle of a .text function', () => {
    const b = bytesOf('subprogs.bpf.o');
    const spec = parseObjectSpec(b);
    const call = spec.program('prog_a')?.relocations.find((r) => r.kind === 'call' && r.symbol === '.text');
    if (call === undefined || call.kind !== 'call') throw new Error('corpus changed');
    const immAt = layout(b).section('socket').offset + call.insnIndex * 8 + 4;
    b.writeInt32LE(b.readInt32LE(immAt) + 1, immAt);
    expectSpecError(b, 's.o', new RegExp(`no \\.text function starts at instruction ${call.targetInsn + 1}`));
  });

  it('a data relocation against a section that is not global data', () => {
    const b = bytesOf('globals.bpf.o');
    const l = layout(b);
    const relAt = l.rel('.reltp/syscalls/sys_enter_openat', 0);
    b.writeUInt32LE(l.symbol('LICENSE').index, relAt + 12); // r_info's symbol half
    expectSpecError(b, 'g.o', /bad data relocation against section 'license'/);
  });

  it('a relocation against a symbol in a special section', () => {
    const b = bytesOf('globals.bpf.o');
    b.writeUInt16LE(0xfff1, layout(b).symbol('target_pid').at + 6); // SHN_ABS
    expectSpecError(b, 'g.o', /invalid relocation against 'target_pid' in special section 0xfff1; forgot to initialize a global variable\?/);
  });

  it('a relocation that is not at an instruction boundary', () => {
    const b = bytesOf('globals.bpf.o');
    const at = layout(b).rel('.reltp/syscalls/sys_enter_openat', 0);
    b.writeBigUInt64LE(b.readBigUInt64LE(at) + 4n, at);
    expectSpecError(b, 'g.o', /relocation is not at an instruction boundary/);
  });

  it('externs without BTF', () => {
    const b = bytesOf('externs.bpf.o');
    hide(b, '.BTF', '.llvm_addrsig');
    hide(b, '.BTF.ext', '.llvm_addrsig');
    const err = expectSpecError(b, 'e.o', /extern '\w+' needs the object's BTF, but there is no '\.BTF' section/);
    expect(err.symbol).to.be.a('string');
  });

  it("'.maps' without BTF", () => {
    const b = bytesOf('maps.bpf.o');
    hide(b, '.BTF', '.llvm_addrsig');
    hide(b, '.BTF.ext', '.llvm_addrsig');
    expectSpecError(b, 'maps.o', /section '\.maps': '\.maps' needs the object's BTF, but there is no '\.BTF' section/);
  });

  it('malformed .BTF and .BTF.ext keep the BtfError as cause', () => {
    const b = bytesOf('minimal.bpf.o');
    b.writeUInt16LE(0x1234, layout(b).section('.BTF').offset);
    const err = expectSpecError(b, 'm.o', /section '\.BTF': malformed BTF: /);
    expect(err.cause).to.be.instanceOf(BtfError);
    const c = bytesOf('minimal.bpf.o');
    c.writeUInt16LE(0x1234, layout(c).section('.BTF.ext').offset);
    const err2 = expectSpecError(c, 'm.o', /section '\.BTF\.ext': malformed \.BTF\.ext: /);
    expect(err2.cause).to.be.instanceOf(BtfError);
  });

  it("'.maps' without its DATASEC", () => {
    const b = bytesOf('maps.bpf.o');
    b.write('z', btfLayout(b).stringAt('.maps') + 4, 'latin1'); // ".maps" -> ".mapz"
    expectSpecError(b, 'maps.o', /section '\.maps': no DATASEC '\.maps' in the object's BTF/);
  });

  it("a '.maps' DATASEC entry that is not a VAR", () => {
    const b = bytesOf('maps.bpf.o');
    const datasec = btfLayout(b).record('.maps', 15);
    b.writeUInt32LE(1, datasec + 12); // first secinfo's type -> [1], not a VAR
    expectSpecError(b, 'maps.o', /'\.maps' DATASEC entry \[1\] is \w+, not VAR/);
  });

  it('a map symbol running past the end of .maps', () => {
    const b = bytesOf('maps.bpf.o');
    b.writeBigUInt64LE(0x10000n, layout(b).symbol('lru').at + 16);
    const err = expectSpecError(b, 'maps.o', /map 'lru' \(65536 bytes at \d+\) lies outside '\.maps'/);
    expect(err.symbol).to.equal('lru');
  });

  it('.rel.maps entries outside any map, outside values, or misaligned', () => {
    const relAt = (b: Buffer, i: number): number => layout(b).rel('.rel.maps', i);
    const a = bytesOf('maps.bpf.o');
    a.writeBigUInt64LE(8n, layout(a).symbol('jump_table').at + 16); // jump_table shrinks to 8 bytes
    expectSpecError(a, 'maps.o', /section '\.rel\.maps': relocation against 'tail_zero' is not inside any map definition \(at offset 0x18\)/);
    const b = bytesOf('maps.bpf.o');
    b.writeBigUInt64LE(8n, relAt(b, 0)); // inside jump_table's max_entries member
    expectSpecError(b, 'maps.o', /map 'jump_table': relocation against 'tail_zero' outside a 'values' member/);
    const d = bytesOf('maps.bpf.o');
    const dl = layout(d);
    const counter = parseObjectSpec(d).map('percpu_counter')?.sectionOffset ?? -1;
    d.writeBigUInt64LE(BigInt(counter + 8), dl.rel('.rel.maps', 0)); // inside a map that has no 'values'
    expectSpecError(d, 'maps.o', /map 'percpu_counter': relocation against 'tail_zero' outside a 'values' member/);
    const c = bytesOf('maps.bpf.o');
    c.writeBigUInt64LE(c.readBigUInt64LE(relAt(c, 0)) + 4n, relAt(c, 0));
    expectSpecError(c, 'maps.o', /map 'jump_table': misaligned 'values' slot relocation/);
  });

  it('a map relocation whose symbol is not a map', () => {
    const b = bytesOf('maps.bpf.o');
    const sym = layout(b).symbol('lru').at;
    b[sym + 4] = (b[sym + 4] as number & 0xf0) | 3; // STT_OBJECT -> STT_SECTION: no longer a map symbol
    expectSpecError(b, 'maps.o', /program 'use_maps': map relocation against 'lru' finds no map at offset \d+/);
  });

  it('legacy map symbols that do not start a definition, or definitions with unknown extra bytes', () => {
    const a = bytesOf('legacy_maps.bpf.o');
    a.writeBigUInt64LE(4n, layout(a).symbol('legacy_array').at + 8);
    expectSpecError(a, 'l.o', /section 'maps': map 'legacy_array' at 4 does not start a 20-byte definition/);
    const b = bytesOf('legacy_maps.bpf.o');
    const l = layout(b);
    const percpu = l.symbol('legacy_percpu').at;
    b[percpu + 4] = (b[percpu + 4] as number & 0xf0) | 3; // no longer a map: 60 bytes / 2 maps = 30-byte definitions
    b.writeBigUInt64LE(30n, l.symbol('legacy_array').at + 8);
    expectSpecError(b, 'l.o', /map 'legacy_hash': unsupported non-zero bytes after struct bpf_map_def \(at offset 0x14\)/);
  });

  it('an extern whose BTF is missing, or in no DATASEC', () => {
    const a = bytesOf('externs.bpf.o');
    a.write('X', btfLayout(a).stringAt('CONFIG_HZ') + 8, 'latin1'); // BTF name CONFIG_HZ -> CONFIG_HX
    const err = expectSpecError(a, 'e.o', /failed to find extern BTF VAR or FUNC for extern 'CONFIG_HZ'/);
    expect(err.symbol).to.equal('CONFIG_HZ');
    const b = bytesOf('externs.bpf.o');
    const t = btfLayout(b);
    const kconfig = t.record('.kconfig', 15);
    const vlen = b.readUInt32LE(kconfig + 4) & 0xffff;
    for (let i = 0; i < vlen; i++) b.writeUInt32LE(1, kconfig + 12 + i * 12); // secinfos no longer list the externs
    expectSpecError(b, 'e.o', /extern '\w+' is in no BTF DATASEC/);
  });

  it('an extern relocation against an unnamed symbol', () => {
    const b = bytesOf('externs.bpf.o');
    b.writeUInt32LE(0, layout(b).symbol('CONFIG_HZ').at); // st_name -> ''
    expectSpecError(b, 'e.o', /program 'on_switch': extern relocation against symbol #\d+ '', which is not a named extern/);
  });

  it('a global variable symbol running past its section', () => {
    const b = bytesOf('globals.bpf.o');
    b.writeBigUInt64LE(1000n, layout(b).symbol('sample_rate').at + 16);
    const err = expectSpecError(b, 'g.o', /section '\.data': variable 'sample_rate' \(1000 bytes at 0\) lies outside the section \(44 bytes\)/);
    expect(err.symbol).to.equal('sample_rate');
  });

  it('a call relocation against a function outside .text', () => {
    const b = bytesOf('subprogs.bpf.o');
    const l = layout(b);
    b.writeUInt32LE(l.symbol('prog_b').index, l.rel('.relsocket', 0) + 12);
    expectSpecError(b, 's.o', /program 'prog_a': bad call relocation against 'prog_b' in section 'socket'/);
  });

  it('struct_ops sections without BTF, without their DATASEC, or shorter than their value', () => {
    const a = bytesOf('struct_ops.bpf.o');
    hide(a, '.BTF', '.llvm_addrsig');
    hide(a, '.BTF.ext', '.llvm_addrsig');
    expectSpecError(a, 'so.o', /section '\.struct_ops\.link': '\.struct_ops\.link' needs the object's BTF, but there is no '\.BTF' section/);
    const b = bytesOf('struct_ops.bpf.o');
    b.write('X', btfLayout(b).stringAt('.struct_ops.link') + 1, 'latin1');
    expectSpecError(b, 'so.o', /section '\.struct_ops\.link': no DATASEC '\.struct_ops\.link' in the object's BTF/);
    const c = bytesOf('struct_ops.bpf.o');
    c.writeBigUInt64LE(16n, layout(c).section('.struct_ops.link').header + 32);
    expectSpecError(c, 'so.o', /struct_ops 'bpf_ts_cc' \(192 bytes at 0\) is beyond the end of the section/);
  });

  it('legacy maps that cannot be split evenly, or are smaller than struct bpf_map_def', () => {
    const b = bytesOf('legacy_maps.bpf.o');
    b.writeBigUInt64LE(59n, layout(b).section('maps').header + 32);
    expectSpecError(b, 'l.o', /section 'maps': 59 bytes cannot be split evenly between 3 map definitions/);
    const c = bytesOf('legacy_maps.bpf.o');
    c.writeBigUInt64LE(30n, layout(c).section('maps').header + 32);
    expectSpecError(c, 'l.o', /map definitions are 10 bytes, smaller than struct bpf_map_def \(20\)/);
  });
});

describe('loader/errors: variables', () => {
  let spec: ObjectSpec;
  before(() => {
    spec = parseObjectSpec(bytesOf('globals.bpf.o'), { fileName: 'globals.bpf.o' });
  });

  it('refuses values that do not fit', () => {
    const v = spec.variables.get('sample_rate');
    expect(() => v?.set(1n << 32n)).to.throw(ObjectSpecError, /section '\.data': variable 'sample_rate' value 4294967296 does not fit in unsigned 32-bit \(at offset 0x0\)/);
    expect(() => spec.variables.get('adjust')?.set(-40000)).to.throw(ObjectSpecError, /variable 'adjust' value -40000 does not fit in signed 16-bit/);
  });

  it('refuses variables outside their section', () => {
    const data = spec.dataSections[0];
    expect(() => data?.addVariable({ name: 'x', offset: data.bytes.length - 2, size: 4, isStatic: false, btfVarId: 0, btfTypeId: 0, valueKind: 'int', signed: false })).to.throw(
      ObjectSpecError,
      /section '\.rodata': variable 'x' \(4 bytes at 49\) lies outside the section \(51 bytes\) \(at offset 0x31\)/,
    );
  });

  it('refuses get/set on structs and arrays, and setBytes of the wrong length', () => {
    const stats = spec.variables.get('stats');
    expect(() => stats?.get()).to.throw(ObjectSpecError, /variable 'stats' is not an integer, enum, bool or pointer; use bytes\(\)\/setBytes\(\)/);
    expect(() => stats?.set(1)).to.throw(ObjectSpecError, /variable 'stats' is not an integer/);
    expect(() => stats?.setBytes(new Uint8Array(3))).to.throw(ObjectSpecError, /variable 'stats' expects 8 bytes, got 3/);
  });
});
