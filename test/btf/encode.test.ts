import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BtfError, BtfStringTable, encodeBtf, parseBtf } from '../../src/btf/index.js';
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
