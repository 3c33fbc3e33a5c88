import { expect } from 'chai';
import { AttrWriter, StructReader, cString } from '../../src/sys/index.js';

describe('sys/attr: bpf_attr encoding', () => {
  it('writes little-endian u32/s32/u64 at UAPI offsets into a zeroed buffer', () => {
    const w = new AttrWriter(24).u32(0, 0x11223344).i32(4, -2).u64(8, 0x0102030405060708n).u8(16, 0xff);
    expect(Array.from(w.bytes.subarray(0, 4))).to.deep.equal([0x44, 0x33, 0x22, 0x11]);
    expect(Array.from(w.bytes.subarray(4, 8))).to.deep.equal([0xfe, 0xff, 0xff, 0xff]);
    expect(Array.from(w.bytes.subarray(8, 16))).to.deep.equal([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(Array.from(w.bytes.subarray(17))).to.deep.equal([0, 0, 0, 0, 0, 0, 0]);
    const r = w.reader();
    expect(r.u32(0)).to.equal(0x11223344);
    expect(r.i32(4)).to.equal(-2);
    expect(r.u64(8)).to.equal(0x0102030405060708n);
    expect(r.u8(16)).to.equal(0xff);
  });

  it('rejects values that do not fit their field', () => {
    const w = new AttrWriter(16);
    expect(() => w.u32(0, -1)).to.throw(RangeError, 'u32 field at 0: -1 out of range');
    expect(() => w.u32(0, 2 ** 32)).to.throw(RangeError, 'out of range');
    expect(() => w.u32(0, 1.5)).to.throw(RangeError);
    expect(() => w.i32(0, 2 ** 31)).to.throw(RangeError, 's32 field at 0');
    expect(() => w.u64(8, -1n)).to.throw(RangeError, 'u64 field at 8: -1 out of range');
    expect(() => w.u64(8, 1n << 64n)).to.throw(RangeError);
  });

  it('writes inline names with room for the NUL and refuses longer ones', () => {
    const w = new AttrWriter(16).inlineString(0, 'exactly15chars_', 16);
    expect(w.reader().inlineString(0, 16)).to.equal('exactly15chars_');
    expect(w.bytes[15]).to.equal(0);
    expect(() => new AttrWriter(16).inlineString(0, 'sixteen_chars___', 16)).to.throw(RangeError, 'does not fit in char[16]');
  });

  it('reads past a short struct as zero (older kernels fill fewer fields)', () => {
    const r = new StructReader(new Uint8Array([1, 0, 0, 0]));
    expect(r.u32(0)).to.equal(1);
    expect(r.u32(4)).to.equal(0);
    expect(r.u64(8)).to.equal(0n);
    expect(r.bit(40)).to.equal(false);
  });

  it('reads single bits of a bitfield by bit offset', () => {
    const r = new StructReader(new Uint8Array([0, 0b0000_0100]));
    expect(r.bit(10)).to.equal(true);
    expect(r.bit(9)).to.equal(false);
    expect(r.bit(11)).to.equal(false);
  });

  it('decodes C strings up to the first NUL', () => {
    expect(cString(new Uint8Array([0x61, 0x62, 0, 0x63]))).to.equal('ab');
    expect(cString(new Uint8Array([0x61, 0x62]))).to.equal('ab');
    expect(cString(new Uint8Array([0]))).to.equal('');
  });
});
