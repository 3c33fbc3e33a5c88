import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BtfError, BtfStringTable, encodeBtf, parseBtf, type BtfType } from '../../src/btf/index.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { loadableKindsTypes } from './elf-facts.js';
import { loadIntoKernel } from './kernel-load.js';
import { btfSectionOf, KINDS_BE_OBJ, KINDS_OBJ, objectsWithBtf, VMLINUX } from './tools.js';

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

describe('encodeBtf', function () {
  it('vmlinux round-trips byte for byte', function () {
    requireTool(this, VMLINUX);
    const bytes = readFileSync(VMLINUX);
    const btf = parseBtf(bytes);
    expect(sameBytes(encodeBtf(btf.types(), BtfStringTable.from(btf.strings)), bytes)).to.equal(true);
  });

  for (const obj of objectsWithBtf()) {
    it(`${obj}: .BTF round-trips byte for byte`, function () {
      const bytes = btfSectionOf(join(REPO_ROOT, obj));
      const btf = parseBtf(bytes);
      const out = encodeBtf([...btf.types()], BtfStringTable.from(btf.strings), { littleEndian: btf.header.littleEndian });
      expect(sameBytes(out, bytes)).to.equal(true);
    });
  }

  it('with its source BTF: unchanged types are copied, changed ones encoded, same bytes as a full encode', function () {
    const btf = parseBtf(btfSectionOf(KINDS_OBJ));
    const types = [...btf.types()];
    const full = (list: readonly BtfType[]): Uint8Array => encodeBtf(list, BtfStringTable.from(btf.strings));
    const viaSource = (list: readonly BtfType[]): Uint8Array => encodeBtf(list, BtfStringTable.from(btf.strings), { source: btf });
    expect(sameBytes(viaSource(types), btfSectionOf(KINDS_OBJ))).to.equal(true);
    // A changed STRUCT keeping its name, a renamed one, and an appended type.
    const si = types.findIndex((t) => t.kind === 'STRUCT' && t.name !== '');
    const ri = types.findIndex((t, i) => i !== si && t.kind === 'STRUCT' && t.name !== '');
    const s = types[si];
    const r = types[ri];
    if (s?.kind !== 'STRUCT' || r?.kind !== 'STRUCT') throw new Error('no named STRUCTs');
    const changed = [...types];
    changed[si] = { ...s, size: s.size + 8 };
    changed[ri] = { ...r, name: 'renamed_struct' };
    changed.push({ kind: 'PTR', id: types.length + 1, name: '', type: 1 });
    const out = viaSource(changed);
    expect(sameBytes(out, full(changed))).to.equal(true);
    const back = parseBtf(out);
    expect(back.typeById(si + 1)).to.deep.include({ name: s.name, size: s.size + 8 });
    expect(back.typeById(ri + 1)).to.deep.include({ name: 'renamed_struct' });
  });

  it('ignores a source whose strings did not seed the table', function () {
    const btf = parseBtf(btfSectionOf(KINDS_OBJ));
    const types = [...btf.types()];
    // A fresh table lays strings out anew: copying records would keep stale name offsets.
    const out = parseBtf(encodeBtf(types, new BtfStringTable(), { source: btf }));
    expect([...out.types()]).to.deep.equal(types);
  });

  it('big-endian output parses back to the same types', function () {
    const le = parseBtf(btfSectionOf(KINDS_OBJ));
    const be = encodeBtf([...le.types()], BtfStringTable.from(le.strings), { littleEndian: false });
    expect(sameBytes(be, btfSectionOf(KINDS_BE_OBJ))).to.equal(true);
  });

  it('a fresh string table gives equivalent BTF (same types, own string layout)', function () {
    const btf = parseBtf(btfSectionOf(KINDS_OBJ));
    const out = parseBtf(encodeBtf([...btf.types()]));
    expect([...out.types()]).to.deep.equal([...btf.types()]);
  });

  it('the kernel accepts encoded program BTF and returns it unchanged', function () {
    requirePrivileges(this);
    const bytes = encodeBtf(loadableKindsTypes());
    expect(sameBytes(loadIntoKernel(bytes), bytes)).to.equal(true);
  });

  it('rejects what BTF cannot express, with BtfError', function () {
    const members = Array.from({ length: 0x10000 }, (_, i) => ({ name: `m${i}`, type: 0, bitOffset: 0, bitfieldSize: 0 }));
    expect(() => encodeBtf([{ kind: 'STRUCT', id: 1, name: 's', size: 0, kindFlag: false, members }])).to.throw(BtfError, "STRUCT 's' has 65536 entries, more than BTF's 65535 (type id 1)");
    expect(() => encodeBtf([{ kind: 'PTR', id: 1, name: '', type: -1 }])).to.throw(BtfError, "PTR '': size/type -1 is not a u32 (type id 1)");
    expect(() => encodeBtf([{ kind: 'INT', id: 1, name: 'i', size: 4, encoding: 0, bitOffset: 0, bits: 256 }])).to.throw(BtfError, "INT 'i': encoding/offset/bits out of range (type id 1)");
    expect(() =>
      encodeBtf([{ kind: 'STRUCT', id: 1, name: 's', size: 4, kindFlag: false, members: [{ name: 'b', type: 0, bitOffset: 0, bitfieldSize: 3 }] }]),
    ).to.throw(BtfError, "member 'b' is a bitfield but the kind flag is clear (type id 1)");
    expect(() =>
      encodeBtf([{ kind: 'STRUCT', id: 1, name: 's', size: 4, kindFlag: true, members: [{ name: 'b', type: 0, bitOffset: 1 << 24, bitfieldSize: 3 }] }]),
    ).to.throw(BtfError, "member 'b': bit offset/size out of range (type id 1)");
    expect(() => new BtfStringTable().add('a\0b')).to.throw(BtfError, 'BTF string "a\\u0000b" contains a NUL byte');
  });
});
