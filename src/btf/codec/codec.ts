import { BtfIntEncoding, type BtfComposite, type BtfDatasec, type BtfInt, type BtfType } from '../types.js';
import type { Btf } from '../btf.js';
import { CodecError, CodecPathError } from './errors.js';

/**
 * How {@link createBtfCodec} represents values:
 *
 * - integers of up to 32 bits (and bitfields of up to 32 bits): `number`; wider: `bigint`
 *   (`__u64`, `__s64`, `__int128`, 33..64-bit bitfields); `_Bool`: `boolean`.
 * - `char` arrays (element `char` or BTF `CHAR` encoding): a `string`, UTF-8 up to the first NUL
 *   (`charArrays: 'bytes'` gives the raw `Uint8Array` instead); other 1-byte integer arrays
 *   (`__u8[]`, `unsigned char[]`): a `Uint8Array` copy; other arrays: a JS array.
 * - structs: an object with one property per member; members of anonymous struct/union members
 *   are flattened into the parent, as C accesses them (`s.a` for `struct { union { int a; }; }`).
 * - unions: an object with every member decoded from the same bytes (as bpftool dumps them);
 *   encoding writes the members present, in declaration order, so a decoded union re-encodes to
 *   the same bytes; at least one must be present.
 * - enums: the numeric value (`number`, or `bigint` for 8-byte enums), signed per the kind
 *   flag; `enums: 'name'` decodes to the enumerator's name when one matches. Encoding takes a
 *   number, a bigint or an enumerator name.
 * - pointers: `bigint` addresses. `float`/`double`: `number`; other float sizes: `Uint8Array`.
 * - typedefs, `const`, `volatile`, `restrict`, type tags and `VAR` are transparent; a `DATASEC`
 *   is an object keyed by variable name.
 *
 * Encoding zeroes the value's bytes first (padding and unnamed bits are 0), refuses missing and
 * unknown struct members, out-of-range integers, over-long strings and arrays of the wrong
 * length with a {@link CodecError} naming the field path. Little-endian BTF only.
 */
export interface BtfCodecOptions {
  /** `char[]` as `'string'` (default) or `'bytes'`. */
  readonly charArrays?: 'string' | 'bytes';
  /** Enums as `'number'` (default) or `'name'` (falling back to the number when no enumerator matches). */
  readonly enums?: 'number' | 'name';
}

/** Encoder and decoder of one BTF type: see {@link createBtfCodec}. */
export interface BtfCodec<T = unknown> {
  /** The type id this codec was made for. */
  readonly typeId: number;
  /** The type as C names it (`struct event`, `__u32`). */
  readonly typeName: string;
  /** `btf__resolve_size()` of the type: bytes a value occupies. */
  readonly size: number;
  /** Decodes `size` bytes at `offset` into a JS value. */
  decode(bytes: Uint8Array, offset?: number): T;
  /**
   * Encodes `value` into `bytes` at `offset` (a new zeroed `Uint8Array(size)` when omitted) and
   * returns the buffer written.
   */
  encode(value: T, bytes?: Uint8Array, offset?: number): Uint8Array;
}

type Decode = (view: DataView, bytes: Uint8Array, off: number) => unknown;
type Encode = (value: unknown, view: DataView, bytes: Uint8Array, off: number) => void;

interface Node {
  readonly size: number;
  readonly decode: Decode;
  readonly encode: Encode;
}

/** Structs, unions and datasecs: members read into / written from an object given by the parent. */
interface CompositeNode extends Node {
  /** Property names this composite reads and writes, anonymous members flattened. */
  readonly names: ReadonlySet<string>;
  readonly decodeInto: (target: Record<string, unknown>, view: DataView, bytes: Uint8Array, off: number) => void;
  readonly encodeFrom: (source: Record<string, unknown>, view: DataView, bytes: Uint8Array, off: number) => void;
}

const MAX_DEPTH = 64;
const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return `a Uint8Array of ${value.byteLength}`;
  return typeof value === 'object' ? 'an object' : String(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** An integer value as bigint, or a CodecPathError saying why it is not one. */
function toBigInt(value: unknown, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new CodecPathError(`${describeValue(value)} is not an integer (${what})`);
    return BigInt(value);
  }
  if (typeof value === 'boolean') return value ? 1n : 0n;
  throw new CodecPathError(`expected an integer for ${what}, got ${describeValue(value)}`);
}

function checkRange(v: bigint, bits: number, signed: boolean, what: string, original: unknown): void {
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (v < min || v > max) throw new CodecPathError(`${describeValue(original)} does not fit ${what} (${min}..${max})`);
}

/**
 * An integer of up to 32 bits as a number: the fast path takes an in-range integer `number` as
 * is; anything else (bigint, boolean, out of range, not an integer) goes through the checked
 * bigint path, which throws the precise error.
 */
function smallIntChecker(bits: number, signed: boolean, what: string): (x: unknown) => number {
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  return (x) => {
    if (typeof x === 'number' && x >= min && x <= max && Number.isInteger(x)) return x;
    const n = toBigInt(x, what);
    checkRange(n, bits, signed, what, x);
    return Number(n);
  };
}

/** Reads `bits` bits starting `shift` bits into `bytes[at]` (little-endian allocation). */
function readBits(bytes: Uint8Array, at: number, shift: number, bits: number, signed: boolean, big: boolean): number | bigint {
  const n = (shift + bits + 7) >> 3;
  if (!big && shift + bits <= 48) {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + (bytes[at + i] as number);
    v = Math.floor(v / 2 ** shift) % 2 ** bits;
    if (signed && v >= 2 ** (bits - 1)) v -= 2 ** bits;
    return v;
  }
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i] as number);
  v = (v >> BigInt(shift)) & ((1n << BigInt(bits)) - 1n);
  if (signed) v = BigInt.asIntN(bits, v);
  return big ? v : Number(v);
}

/** Writes the low `bits` bits of `value` at a bit position, keeping the neighbouring bits. */
function writeBits(bytes: Uint8Array, at: number, shift: number, bits: number, value: bigint): void {
  const n = (shift + bits + 7) >> 3;
  let word = 0n;
  for (let i = n - 1; i >= 0; i--) word = (word << 8n) | BigInt(bytes[at + i] as number);
  const mask = ((1n << BigInt(bits)) - 1n) << BigInt(shift);
  word = (word & ~mask) | ((BigInt.asUintN(bits, value) << BigInt(shift)) & mask);
  for (let i = 0; i < n; i++) {
    bytes[at + i] = Number(word & 0xffn);
    word >>= 8n;
  }
}

class Compiler {
  readonly #nodes = new Map<number, Node | null>();

  constructor(
    readonly btf: Btf,
    readonly options: BtfCodecOptions,
  ) {}

  node(id: number, depth = 0): Node {
    const memo = this.#nodes.get(id);
    if (memo === null) throw new CodecPathError(`type ${id} contains itself`);
    if (memo !== undefined) return memo;
    if (depth > MAX_DEPTH) throw new CodecPathError(`types nested deeper than ${MAX_DEPTH}`);
    this.#nodes.set(id, null);
    try {
      const n = this.#build(id, depth);
      this.#nodes.set(id, n);
      return n;
    } catch (e) {
      this.#nodes.delete(id);
      throw e;
    }
  }

  #build(id: number, depth: number): Node {
    if (id === 0) throw new CodecPathError('void has no value');
    const t = this.btf.typeById(id);
    switch (t.kind) {
      case 'INT':
        return t.bitOffset === 0 && t.bits === t.size * 8 ? this.#int(t) : this.#bitfield(t.bitOffset, t.bits, t.size, t);
      case 'PTR':
        return this.#pointer();
      case 'ARRAY':
        return this.#array(t.type, t.nelems, depth);
      case 'STRUCT':
      case 'UNION':
        return this.#composite(t, depth);
      case 'DATASEC':
        return this.#datasec(t, depth);
      case 'ENUM':
      case 'ENUM64':
        return this.#enum(t.size, t.signed, t.values, t.name);
      case 'FLOAT':
        return this.#float(t.size);
      case 'TYPEDEF':
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT':
      case 'TYPE_TAG':
      case 'VAR':
        return this.node(t.type, depth + 1);
      default:
        throw new CodecPathError(`BTF_KIND_${t.kind} has no value representation`);
    }
  }

  #int(t: BtfInt): Node {
    const size = t.size;
    const signed = (t.encoding & BtfIntEncoding.SIGNED) !== 0;
    const what = `${signed ? 's' : 'u'}${t.bits} '${t.name}'`;
    if (t.encoding & BtfIntEncoding.BOOL && size === 1) {
      return {
        size,
        decode: (_v, b, off) => b[off] !== 0,
        encode: (x, _v, b, off) => {
          if (typeof x === 'boolean') b[off] = x ? 1 : 0;
          else {
            const n = toBigInt(x, `bool '${t.name}'`);
            checkRange(n, 1, false, `bool '${t.name}'`, x);
            b[off] = Number(n);
          }
        },
      };
    }
    const encodeWith = (write: (v: DataView, off: number, n: bigint) => void): Encode => (x, v, _b, off) => {
      const n = toBigInt(x, what);
      checkRange(n, t.bits, signed, what, x);
      write(v, off, n);
    };
    // DataView setters wrap negative numbers to their two's complement, so one setter serves both.
    const small = size <= 4 ? smallIntChecker(t.bits, signed, what) : undefined;
    switch (size) {
      case 1:
        return { size, decode: signed ? (v, _b, off) => v.getInt8(off) : (_v, b, off) => b[off], encode: (x, v, _b, off) => v.setUint8(off, (small as (x: unknown) => number)(x)) };
      case 2:
        return {
          size,
          decode: signed ? (v, _b, off) => v.getInt16(off, true) : (v, _b, off) => v.getUint16(off, true),
          encode: (x, v, _b, off) => v.setUint16(off, (small as (x: unknown) => number)(x), true),
        };
      case 4:
        return {
          size,
          decode: signed ? (v, _b, off) => v.getInt32(off, true) : (v, _b, off) => v.getUint32(off, true),
          encode: (x, v, _b, off) => v.setUint32(off, (small as (x: unknown) => number)(x), true),
        };
      case 8: {
        const min = signed ? -(1n << 63n) : 0n;
        const max = signed ? (1n << 63n) - 1n : (1n << 64n) - 1n;
        const slow = encodeWith((v, off, n) => v.setBigUint64(off, BigInt.asUintN(64, n), true));
        return {
          size,
          decode: signed ? (v, _b, off) => v.getBigInt64(off, true) : (v, _b, off) => v.getBigUint64(off, true),
          encode: (x, v, b, off) => {
            if (typeof x === 'bigint' && x >= min && x <= max) {
              if (signed) v.setBigInt64(off, x, true);
              else v.setBigUint64(off, x, true);
            } else {
              slow(x, v, b, off);
            }
          },
        };
      }
      case 16:
        return {
          size,
          decode: (v, _b, off) => {
            const lo = v.getBigUint64(off, true);
            const hi = v.getBigUint64(off + 8, true);
            const u = (hi << 64n) | lo;
            return signed ? BigInt.asIntN(128, u) : u;
          },
          encode: encodeWith((v, off, n) => {
            const u = BigInt.asUintN(128, n);
            v.setBigUint64(off, u & 0xffff_ffff_ffff_ffffn, true);
            v.setBigUint64(off + 8, u >> 64n, true);
          }),
        };
      default:
        return this.#bitfield(0, t.bits, size, t);
    }
  }

  /**
   * A bitfield: `bits` bits `bitOffset` bits into its storage. `type` gives signedness and kind
   * (bool, enum names).
   */
  #bitfield(bitOffset: number, bits: number, size: number, type: BtfType): Node {
    if (bits === 0) throw new CodecPathError('zero-width bitfield has no value');
    const isBool = type.kind === 'INT' && (type.encoding & BtfIntEncoding.BOOL) !== 0;
    const signed = type.kind === 'INT' ? (type.encoding & BtfIntEncoding.SIGNED) !== 0 : type.kind === 'ENUM' || type.kind === 'ENUM64' ? type.signed : false;
    const big = bits > 32;
    const at = bitOffset >> 3;
    const shift = bitOffset & 7;
    const what = `${bits}-bit bitfield`;
    const names = type.kind === 'ENUM' || type.kind === 'ENUM64' ? type.values : undefined;
    const asNames = names !== undefined && this.options.enums === 'name';
    return {
      size,
      decode: (_v, b, off) => {
        const x = readBits(b, off + at, shift, bits, signed, big);
        if (asNames) {
          const found = names.find((e) => BigInt(e.value) === BigInt(x));
          if (found !== undefined) return found.name;
        }
        return isBool ? x !== 0 : x;
      },
      encode: (x, _v, b, off) => {
        let n: bigint;
        const byName = typeof x === 'string' && names !== undefined ? names.find((e) => e.name === x) : undefined;
        if (byName !== undefined) n = BigInt(byName.value);
        else if (typeof x === 'string') throw new CodecPathError(`${describeValue(x)} is not an enumerator of this ${what}`);
        else n = toBigInt(x, what);
        checkRange(n, bits, signed, what, x);
        writeBits(b, off + at, shift, bits, n);
      },
    };
  }

  #pointer(): Node {
    const size = this.btf.pointerSize;
    if (size === 8) {
      return {
        size,
        decode: (v, _b, off) => v.getBigUint64(off, true),
        encode: (x, v, _b, off) => {
          const n = toBigInt(x, 'pointer');
          checkRange(n, 64, false, 'pointer', x);
          v.setBigUint64(off, n, true);
        },
      };
    }
    return {
      size,
      decode: (v, _b, off) => BigInt(v.getUint32(off, true)),
      encode: (x, v, _b, off) => {
        const n = toBigInt(x, 'pointer');
        checkRange(n, 32, false, 'pointer', x);
        v.setUint32(off, Number(n), true);
      },
    };
  }

  #float(size: number): Node {
    if (size === 4 || size === 8) {
      return {
        size,
        decode: size === 4 ? (v, _b, off) => v.getFloat32(off, true) : (v, _b, off) => v.getFloat64(off, true),
        encode: (x, v, _b, off) => {
          if (typeof x !== 'number') throw new CodecPathError(`expected a number for a ${size * 8}-bit float, got ${describeValue(x)}`);
          if (size === 4) v.setFloat32(off, x, true);
          else v.setFloat64(off, x, true);
        },
      };
    }
    return this.#bytes(size, `${size * 8}-bit float`);
  }

  #bytes(size: number, what: string): Node {
    return {
      size,
      decode: (_v, b, off) => b.slice(off, off + size),
      encode: (x, _v, b, off) => {
        if (x instanceof Uint8Array) {
          if (x.byteLength > size) throw new CodecPathError(`${describeValue(x)} is longer than the ${size} bytes of ${what}`);
          b.set(x, off);
          return;
        }
        if (Array.isArray(x)) {
          if (x.length > size) throw new CodecPathError(`${describeValue(x)} is longer than the ${size} bytes of ${what}`);
          x.forEach((e, i) => {
            const n = toBigInt(e, 'byte');
            checkRange(n, 8, false, 'a byte', e);
            b[off + i] = Number(n);
          });
          return;
        }
        throw new CodecPathError(`expected a Uint8Array for ${what}, got ${describeValue(x)}`);
      },
    };
  }

  #enum(size: number, signed: boolean, values: readonly { readonly name: string; readonly value: number | bigint }[], name: string): Node {
    const big = size === 8;
    const bits = size * 8;
    const what = `enum ${name === '' ? '(anon)' : name}`;
    const byValue = new Map<bigint, string>();
    const byName = new Map<string, bigint>();
    for (const e of values) {
      const v = BigInt(e.value);
      // BTF stores ENUM values as u32 bit patterns; normalize to the enum's signedness.
      const normalized = signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
      if (!byValue.has(normalized)) byValue.set(normalized, e.name);
      byName.set(e.name, normalized);
    }
    const asNames = this.options.enums === 'name';
    const read = (v: DataView, off: number): bigint => {
      switch (size) {
        case 1: return BigInt(signed ? v.getInt8(off) : v.getUint8(off));
        case 2: return BigInt(signed ? v.getInt16(off, true) : v.getUint16(off, true));
        case 4: return BigInt(signed ? v.getInt32(off, true) : v.getUint32(off, true));
        default: return signed ? v.getBigInt64(off, true) : v.getBigUint64(off, true);
      }
    };
    if (size !== 1 && size !== 2 && size !== 4 && size !== 8) throw new CodecPathError(`${what} has size ${size}`);
    return {
      size,
      decode: (v, _b, off) => {
        if (!asNames && !big) {
          switch (size) {
            case 4: return signed ? v.getInt32(off, true) : v.getUint32(off, true);
            case 2: return signed ? v.getInt16(off, true) : v.getUint16(off, true);
            default: return signed ? v.getInt8(off) : v.getUint8(off);
          }
        }
        const x = read(v, off);
        if (asNames) {
          const n = byValue.get(x);
          if (n !== undefined) return n;
        }
        return big ? x : Number(x);
      },
      encode: (x, v, _b, off) => {
        let n: bigint;
        if (typeof x === 'string') {
          const found = byName.get(x);
          if (found === undefined) throw new CodecPathError(`${describeValue(x)} is not an enumerator of ${what}`);
          n = found;
        } else {
          n = toBigInt(x, what);
          checkRange(n, bits, signed, what, x);
        }
        const u = BigInt.asUintN(bits, n);
        switch (size) {
          case 1: v.setUint8(off, Number(u)); break;
          case 2: v.setUint16(off, Number(u), true); break;
          case 4: v.setUint32(off, Number(u), true); break;
          default: v.setBigUint64(off, u, true);
        }
      },
    };
  }

  /** True for `char` (by name or BTF CHAR encoding), looking through qualifiers but not typedefs. */
  #isChar(id: number): boolean {
    let t = this.btf.typeById(id);
    while (t.kind === 'CONST' || t.kind === 'VOLATILE' || t.kind === 'RESTRICT' || t.kind === 'TYPE_TAG') t = this.btf.typeById(t.type);
    return t.kind === 'INT' && t.size === 1 && ((t.encoding & BtfIntEncoding.CHAR) !== 0 || t.name === 'char');
  }

  /** True for 1-byte non-bool integers (through typedefs): `__u8`, `unsigned char`, `signed char`. */
  #isByte(id: number): boolean {
    const r = this.btf.resolveType(id);
    if (r === 0) return false;
    const t = this.btf.typeById(r);
    return t.kind === 'INT' && t.size === 1 && t.bits === 8 && t.bitOffset === 0 && (t.encoding & BtfIntEncoding.BOOL) === 0;
  }

  #array(elemId: number, nelems: number, depth: number): Node {
    if (this.#isChar(elemId) && this.options.charArrays !== 'bytes') {
      return {
        size: nelems,
        decode: (_v, b, off) => {
          let end = off;
          const limit = off + nelems;
          while (end < limit && b[end] !== 0) end++;
          return utf8.decode(b.subarray(off, end));
        },
        encode: (x, _v, b, off) => {
          if (typeof x === 'string') {
            const r = utf8Encoder.encodeInto(x, b.subarray(off, off + nelems));
            if (r.read < x.length) {
              const len = utf8Encoder.encode(x).byteLength;
              b.fill(0, off, off + nelems);
              throw new CodecPathError(`${describeValue(x)} is ${len} bytes; char[${nelems}] holds ${nelems}`);
            }
            return;
          }
          if (x instanceof Uint8Array) {
            if (x.byteLength > nelems) throw new CodecPathError(`${describeValue(x)} does not fit char[${nelems}]`);
            b.set(x, off);
            return;
          }
          throw new CodecPathError(`expected a string for char[${nelems}], got ${describeValue(x)}`);
        },
      };
    }
    if (this.#isByte(elemId) || this.#isChar(elemId)) return this.#bytes(nelems, `${this.btf.typeName(this.btf.resolveType(elemId)) || 'byte'}[${nelems}]`);
    let elem: Node;
    try {
      elem = this.node(elemId, depth + 1);
    } catch (e) {
      throw e instanceof CodecPathError ? e.within('[]') : e;
    }
    const stride = elem.size;
    return {
      size: stride * nelems,
      decode: (v, b, off) => {
        const out = new Array<unknown>(nelems);
        for (let i = 0; i < nelems; i++) out[i] = elem.decode(v, b, off + i * stride);
        return out;
      },
      encode: (x, v, b, off) => {
        if (!Array.isArray(x)) throw new CodecPathError(`expected an array of ${nelems}, got ${describeValue(x)}`);
        if (x.length !== nelems) throw new CodecPathError(`expected ${nelems} elements, got ${x.length}`);
        for (let i = 0; i < nelems; i++) {
          try {
            elem.encode(x[i], v, b, off + i * stride);
          } catch (e) {
            throw e instanceof CodecPathError ? e.within(`[${i}]`) : e;
          }
        }
      },
    };
  }

  #composite(t: BtfComposite, depth: number): CompositeNode {
    interface Field {
      readonly name: string;
      readonly byteOffset: number;
      readonly node: Node;
      readonly inline: CompositeNode | undefined;
    }
    const fields: Field[] = [];
    for (const m of t.members) {
      const resolved = this.btf.resolveType(m.type);
      const rt = resolved === 0 ? undefined : this.btf.typeById(resolved);
      const segment = m.name === '' ? '.(anon)' : `.${m.name}`;
      try {
        const isBitfield = m.bitfieldSize !== 0 || (m.bitOffset & 7) !== 0 || (rt?.kind === 'INT' && (rt.bits !== rt.size * 8 || rt.bitOffset !== 0));
        if (m.name === '' && (rt?.kind === 'STRUCT' || rt?.kind === 'UNION')) {
          const inline = this.node(resolved, depth + 1) as CompositeNode;
          fields.push({ name: '', byteOffset: m.bitOffset >> 3, node: inline, inline });
          continue;
        }
        // Unnamed non-composite members (padding bitfields) carry no value.
        if (m.name === '' || rt === undefined) continue;
        if (isBitfield) {
          const bits = m.bitfieldSize !== 0 ? m.bitfieldSize : rt.kind === 'INT' ? rt.bits : this.btf.sizeOf(resolved) * 8;
          const intOffset = m.bitfieldSize === 0 && rt.kind === 'INT' ? rt.bitOffset : 0;
          const total = (m.bitOffset & 7) + intOffset;
          fields.push({ name: m.name, byteOffset: m.bitOffset >> 3, node: this.#bitfield(total, bits, 0, rt), inline: undefined });
        } else {
          fields.push({ name: m.name, byteOffset: m.bitOffset >> 3, node: this.node(m.type, depth + 1), inline: undefined });
        }
      } catch (e) {
        throw e instanceof CodecPathError ? e.within(segment) : e;
      }
    }
    const names = new Set<string>();
    for (const f of fields) {
      if (f.inline !== undefined) for (const n of f.inline.names) names.add(n);
      else names.add(f.name);
    }
    const isUnion = t.kind === 'UNION';
    const decodeInto = (target: Record<string, unknown>, v: DataView, b: Uint8Array, off: number): void => {
      for (const f of fields) {
        if (f.inline !== undefined) f.inline.decodeInto(target, v, b, off + f.byteOffset);
        else target[f.name] = f.node.decode(v, b, off + f.byteOffset);
      }
    };
    const hasAny = (source: Record<string, unknown>): boolean => {
      for (const n of names) if (source[n] !== undefined) return true;
      return false;
    };
    const encodeFrom = (source: Record<string, unknown>, v: DataView, b: Uint8Array, off: number): void => {
      let written = 0;
      for (const f of fields) {
        if (f.inline !== undefined) {
          if (isUnion && !hasAnyOf(f.inline, source)) continue;
          f.inline.encodeFrom(source, v, b, off + f.byteOffset);
          written++;
          continue;
        }
        const x = source[f.name];
        if (x === undefined) {
          if (isUnion) continue;
          throw new CodecPathError(`missing member '${f.name}'`);
        }
        try {
          f.node.encode(x, v, b, off + f.byteOffset);
        } catch (e) {
          throw e instanceof CodecPathError ? e.within(`.${f.name}`) : e;
        }
        written++;
      }
      if (isUnion && written === 0 && fields.length > 0) throw new CodecPathError(`union needs one of ${[...names].map((n) => `'${n}'`).join(', ')}`);
    };
    const node: CompositeNode = {
      size: t.size,
      names,
      decodeInto,
      encodeFrom,
      decode: (v, b, off) => {
        const out: Record<string, unknown> = {};
        decodeInto(out, v, b, off);
        return out;
      },
      encode: (x, v, b, off) => {
        if (!isRecord(x)) throw new CodecPathError(`expected an object for ${t.kind.toLowerCase()} ${t.name === '' ? '(anon)' : t.name}, got ${describeValue(x)}`);
        for (const k in x) {
          if (!names.has(k) && x[k] !== undefined) throw new CodecPathError(`unknown member '${k}' (members: ${[...names].join(', ')})`);
        }
        encodeFrom(x, v, b, off);
      },
    };
    compositeAny.set(node, hasAny);
    return node;
  }

  #datasec(t: BtfDatasec, depth: number): CompositeNode {
    const vars: { name: string; offset: number; node: Node }[] = [];
    for (const sv of t.vars) {
      const vt = this.btf.typeById(sv.type);
      const name = vt.name;
      try {
        vars.push({ name, offset: sv.offset, node: this.node(sv.type, depth + 1) });
      } catch (e) {
        throw e instanceof CodecPathError ? e.within(`.${name}`) : e;
      }
    }
    const names = new Set(vars.map((x) => x.name));
    const decodeInto = (target: Record<string, unknown>, v: DataView, b: Uint8Array, off: number): void => {
      for (const x of vars) target[x.name] = x.node.decode(v, b, off + x.offset);
    };
    const encodeFrom = (source: Record<string, unknown>, v: DataView, b: Uint8Array, off: number): void => {
      for (const x of vars) {
        const value = source[x.name];
        if (value === undefined) throw new CodecPathError(`missing variable '${x.name}'`);
        try {
          x.node.encode(value, v, b, off + x.offset);
        } catch (e) {
          throw e instanceof CodecPathError ? e.within(`.${x.name}`) : e;
        }
      }
    };
    return {
      size: t.size,
      names,
      decodeInto,
      encodeFrom,
      decode: (v, b, off) => {
        const out: Record<string, unknown> = {};
        decodeInto(out, v, b, off);
        return out;
      },
      encode: (x, v, b, off) => {
        if (!isRecord(x)) throw new CodecPathError(`expected an object for section ${t.name}, got ${describeValue(x)}`);
        for (const k of Object.keys(x)) if (!names.has(k) && x[k] !== undefined) throw new CodecPathError(`unknown variable '${k}'`);
        encodeFrom(x, v, b, off);
      },
    };
  }
}

/** `hasAny` of each composite node, for unions deciding whether an anonymous member was given. */
const compositeAny = new WeakMap<CompositeNode, (source: Record<string, unknown>) => boolean>();

function hasAnyOf(node: CompositeNode, source: Record<string, unknown>): boolean {
  return compositeAny.get(node)?.(source) ?? false;
}

/** `struct foo`, `union (anon)`, `__u32`: a type as C spells it, for messages. */
export function btfTypeLabel(btf: Btf, id: number): string {
  if (id === 0) return 'void';
  const t = btf.typeById(id);
  const name = t.name === '' ? '(anon)' : t.name;
  switch (t.kind) {
    case 'STRUCT': return `struct ${name}`;
    case 'UNION': return `union ${name}`;
    case 'ENUM':
    case 'ENUM64': return `enum ${name}`;
    case 'PTR': return `${btfTypeLabel(btf, t.type)} *`;
    case 'ARRAY': return `${btfTypeLabel(btf, t.type)}[${t.nelems}]`;
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT': return `${t.kind.toLowerCase()} ${btfTypeLabel(btf, t.type)}`;
    case 'DATASEC': return `section ${name}`;
    case 'VAR': return `var ${name}`;
    default: return t.name === '' ? t.kind.toLowerCase() : t.name;
  }
}

/**
 * Compiles an encoder/decoder between the bytes of BTF type `typeId` and plain JS values (see
 * {@link BtfCodecOptions} for the representation). Throws {@link CodecError} when the type has
 * no value representation (`void`, `FWD`, `FUNC`, a zero-width bitfield).
 *
 * @example
 * ```ts
 * const btf = parseBtf(bytes);
 * const [id] = btf.findByName('event', 'STRUCT');
 * const codec = createBtfCodec(btf, id!);
 * const ev = codec.decode(sample);          // { pid: 42, comm: 'bash', ts: 123n, ... }
 * const raw = codec.encode({ ...ev, pid: 7 });
 * ```
 */
export function createBtfCodec<T = unknown>(btf: Btf, typeId: number, options: BtfCodecOptions = {}): BtfCodec<T> {
  const typeName = (() => {
    try {
      return btfTypeLabel(btf, typeId);
    } catch {
      return `type ${typeId}`;
    }
  })();
  if (!btf.header.littleEndian) throw new CodecError(typeId, typeName, '', 'big-endian BTF is not supported');
  let root: Node;
  try {
    root = new Compiler(btf, options).node(typeId);
  } catch (e) {
    if (e instanceof CodecPathError) throw new CodecError(typeId, typeName, e.path, e.reason);
    if (e instanceof Error) throw new CodecError(typeId, typeName, '', e.message);
    throw e;
  }
  const size = root.size;
  let lastBytes: Uint8Array | undefined;
  let lastView: DataView | undefined;
  const viewOf = (bytes: Uint8Array): DataView => {
    if (bytes !== lastBytes || lastView === undefined) {
      lastBytes = bytes;
      lastView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    return lastView;
  };
  return {
    typeId,
    typeName,
    size,
    decode(bytes: Uint8Array, offset = 0): T {
      if (!Number.isInteger(offset) || offset < 0 || offset + size > bytes.byteLength) {
        throw new CodecError(typeId, typeName, '', `needs ${size} bytes at offset ${offset}; the buffer has ${bytes.byteLength}`);
      }
      try {
        return root.decode(viewOf(bytes), bytes, offset) as T;
      } catch (e) {
        if (e instanceof CodecPathError) throw new CodecError(typeId, typeName, e.path, e.reason);
        throw e;
      }
    },
    encode(value: T, bytes?: Uint8Array, offset = 0): Uint8Array {
      const out = bytes ?? new Uint8Array(size);
      if (!Number.isInteger(offset) || offset < 0 || offset + size > out.byteLength) {
        throw new CodecError(typeId, typeName, '', `needs ${size} bytes at offset ${offset}; the buffer has ${out.byteLength}`);
      }
      if (bytes !== undefined) out.fill(0, offset, offset + size);
      try {
        root.encode(value, viewOf(out), out, offset);
      } catch (e) {
        if (e instanceof CodecPathError) throw new CodecError(typeId, typeName, e.path, e.reason);
        throw e;
      }
      return out;
    },
  };
}
