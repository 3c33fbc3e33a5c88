import type { Btf } from '../btf/btf.js';
import type { BtfInt } from '../btf/types.js';
import { btfModule } from './lazy-btf.js';
import type { JsonWriter } from './json-writer.js';

/**
 * Writes a value described by BTF the way bpftool's `btf_dumper` does (used for `prog show`
 * metadata): integers as numbers, `char` arrays holding a printable NUL-terminated string as a
 * string, other arrays as arrays, structs and unions as objects, enums by enumerator name,
 * bitfields and 128-bit integers as hex. `plain` selects bpftool's plain-text variants (hex
 * pointers, raw non-printable chars).
 */
export class BtfValueDumper {
  constructor(
    private readonly btf: Btf,
    private readonly w: JsonWriter,
    private readonly plain: boolean,
  ) {}

  /** Dumps `data` (starting at the value's first byte) as type `typeId`. */
  dump(typeId: number, data: Uint8Array, bitOffset = 0): void {
    const t = this.btf.typeById(typeId);
    switch (t.kind) {
      case 'INT':
        this.int(t, data, bitOffset);
        return;
      case 'ARRAY':
        this.array(t.type, t.nelems, data);
        return;
      case 'STRUCT':
      case 'UNION':
        this.w.startObject();
        for (const m of t.members) {
          this.w.name(m.name);
          const at = data.subarray(m.bitOffset >>> 3);
          if (m.bitfieldSize !== 0) this.bitfield(m.bitfieldSize, m.bitOffset & 7, at);
          else this.dump(m.type, at, m.bitOffset & 7);
        }
        this.w.endObject();
        return;
      case 'ENUM':
      case 'ENUM64': {
        const v = this.signedValue(data, t.size);
        const e = t.values.find((x) => BigInt(x.value) === v || BigInt.asIntN(64, BigInt(x.value)) === v);
        if (e !== undefined) this.w.string(e.name);
        else this.w.raw(String(v));
        return;
      }
      case 'PTR': {
        const v = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true);
        // bpftool prints "%p" in plain text ("(nil)" for NULL) and the number in JSON.
        this.w.raw(this.plain ? (v === 0n ? '(nil)' : `0x${v.toString(16)}`) : String(v));
        return;
      }
      case 'TYPEDEF':
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT':
      case 'TYPE_TAG':
      case 'VAR':
        this.dump(t.type, data, bitOffset);
        return;
      case 'FLOAT': {
        const dv = new DataView(data.buffer, data.byteOffset, t.size);
        const v = t.size === 4 ? dv.getFloat32(0, true) : t.size === 8 ? dv.getFloat64(0, true) : Number.NaN;
        this.w.raw(v.toFixed(6));
        return;
      }
      default:
        // bpftool rejects the rest (FWD, FUNC, ...) as not dumpable.
        this.w.null();
    }
  }

  private signedValue(data: Uint8Array, size: number): bigint {
    const dv = new DataView(data.buffer, data.byteOffset, size);
    switch (size) {
      case 1: return BigInt(dv.getInt8(0));
      case 2: return BigInt(dv.getInt16(0, true));
      case 4: return BigInt(dv.getInt32(0, true));
      default: return dv.getBigInt64(0, true);
    }
  }

  private int(t: BtfInt, data: Uint8Array, bitOffset: number): void {
    if (bitOffset !== 0 || t.bitOffset !== 0 || t.bits % 8 !== 0) {
      const total = bitOffset + t.bitOffset;
      this.bitfield(t.bits, total & 7, data.subarray(total >>> 3));
      return;
    }
    const dv = new DataView(data.buffer, data.byteOffset, Math.max(t.size, 1));
    if (t.bits === 128) {
      this.hex128(dv.getBigUint64(8, true), dv.getBigUint64(0, true));
      return;
    }
    const BtfIntEncoding = btfModule().BtfIntEncoding;
    if (t.encoding & BtfIntEncoding.BOOL) {
      this.w.bool(dv.getUint8(0) !== 0);
      return;
    }
    if (t.encoding & BtfIntEncoding.CHAR) {
      const c = dv.getUint8(0);
      if (c >= 0x20 && c < 0x7f) this.w.string(String.fromCharCode(c));
      else this.w.raw(this.plain ? `0x${c.toString(16)}` : `"\\u00${c.toString(16).padStart(2, '0')}"`);
      return;
    }
    const signed = (t.encoding & BtfIntEncoding.SIGNED) !== 0;
    switch (t.bits) {
      case 8: this.w.raw(String(signed ? dv.getInt8(0) : dv.getUint8(0))); return;
      case 16: this.w.raw(String(signed ? dv.getInt16(0, true) : dv.getUint16(0, true))); return;
      case 32: this.w.raw(String(signed ? dv.getInt32(0, true) : dv.getUint32(0, true))); return;
      case 64: this.w.raw(String(signed ? dv.getBigInt64(0, true) : dv.getBigUint64(0, true))); return;
      default: this.bitfield(t.bits, 0, data);
    }
  }

  /** bpftool prints bitfields (and odd-width ints) as hex, via a 128-bit shift. */
  private bitfield(bits: number, bitOffset: number, data: Uint8Array): void {
    const bytes = Math.ceil((bitOffset + bits) / 8);
    let v = 0n;
    for (let i = bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[i] ?? 0);
    v = (v >> BigInt(bitOffset)) & ((1n << BigInt(bits)) - 1n);
    this.hex128(v >> 64n, v & 0xffff_ffff_ffff_ffffn);
  }

  private hex128(upper: bigint, lower: bigint): void {
    const text = upper === 0n ? `0x${lower.toString(16)}` : `0x${upper.toString(16)}${lower.toString(16).padStart(16, '0')}`;
    this.w.raw(this.plain ? text : `"${text}"`);
  }

  private array(elemType: number, nelems: number, data: Uint8Array): void {
    const str = this.asString(elemType, nelems, data);
    if (str !== undefined) {
      this.w.string(str);
      return;
    }
    const size = this.btf.sizeOf(elemType);
    this.w.startArray();
    for (let i = 0; i < nelems; i++) this.dump(elemType, data.subarray(i * size));
    this.w.endArray();
  }

  /** bpftool's `is_str_array`: 1-byte char elements, printable up to a NUL inside the array. */
  private asString(elemType: number, nelems: number, data: Uint8Array): string | undefined {
    if (nelems === 0) return undefined;
    let t = this.btf.typeById(elemType);
    // Qualifiers are looked through, typedefs are not (a typedef to char is not a string).
    while (t.kind === 'CONST' || t.kind === 'VOLATILE' || t.kind === 'RESTRICT' || t.kind === 'TYPE_TAG') t = this.btf.typeById(t.type);
    if (t.kind !== 'INT' || t.size !== 1) return undefined;
    if ((t.encoding & btfModule().BtfIntEncoding.CHAR) === 0 && t.name !== 'char') return undefined;
    for (let i = 0; i < nelems; i++) {
      const c = data[i] ?? 0;
      if (c === 0) return new TextDecoder().decode(data.subarray(0, i));
      // bpftool tests a signed char: bytes >= 0x80 are "<= 0x1f" too.
      if (c <= 0x1f || c >= 0x7f) return undefined;
    }
    return undefined;
  }
}
