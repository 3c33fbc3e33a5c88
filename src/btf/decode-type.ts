import { BtfError } from './errors.js';
import { BTF_TYPE_SIZE, infoKflag, infoKind, infoVlen } from './layout.js';
import type { BtfStrings } from './strings.js';
import { BtfKind, type BtfLinkage, type BtfMember, type BtfType, type BtfVarSecinfo } from './types.js';

/** What `decodeType` needs to read one `struct btf_type` record and check its references. */
export interface TypeRecordSource {
  readonly view: DataView;
  readonly littleEndian: boolean;
  readonly strings: BtfStrings;
  /** Type ids must be below this. */
  readonly typeCount: number;
}

/**
 * Inflates the record at absolute byte offset `off` (already bounds-checked by the indexing
 * pass) into a `BtfType`, checking string offsets, referenced type ids and linkage values.
 */
export function decodeType(src: TypeRecordSource, id: number, off: number): BtfType {
  const { view, littleEndian: le, strings, typeCount } = src;
  const u32 = (o: number): number => view.getUint32(o, le);
  const str = (o: number): string => {
    if (!strings.has(o)) throw new BtfError(`string offset ${o} is outside the string section (size ${strings.endOffset})`, { typeId: id, offset: off });
    return strings.get(o, id);
  };
  const ref = (t: number, what: string): number => {
    if (t >= typeCount) throw new BtfError(`${what} references type id ${t}, but only ${typeCount - 1} types exist`, { typeId: id, offset: off });
    return t;
  };
  const info = u32(off + 4);
  const kind = infoKind(info);
  const vlen = infoVlen(info);
  const kflag = infoKflag(info);
  const name = str(u32(off));
  const sizeOrType = u32(off + 8);
  const p = off + BTF_TYPE_SIZE;
  switch (kind) {
    case BtfKind.INT: {
      const v = u32(p);
      return { kind: 'INT', id, name, size: sizeOrType, encoding: (v >>> 24) & 0x0f, bitOffset: (v >>> 16) & 0xff, bits: v & 0xff };
    }
    case BtfKind.PTR:
      return { kind: 'PTR', id, name, type: ref(sizeOrType, 'PTR') };
    case BtfKind.TYPEDEF:
      return { kind: 'TYPEDEF', id, name, type: ref(sizeOrType, 'TYPEDEF') };
    case BtfKind.VOLATILE:
      return { kind: 'VOLATILE', id, name, type: ref(sizeOrType, 'VOLATILE') };
    case BtfKind.CONST:
      return { kind: 'CONST', id, name, type: ref(sizeOrType, 'CONST') };
    case BtfKind.RESTRICT:
      return { kind: 'RESTRICT', id, name, type: ref(sizeOrType, 'RESTRICT') };
    case BtfKind.TYPE_TAG:
      return { kind: 'TYPE_TAG', id, name, type: ref(sizeOrType, 'TYPE_TAG'), kindFlag: kflag };
    case BtfKind.ARRAY:
      return {
        kind: 'ARRAY', id, name,
        type: ref(u32(p), 'ARRAY element'),
        indexType: ref(u32(p + 4), 'ARRAY index'),
        nelems: u32(p + 8),
      };
    case BtfKind.STRUCT:
    case BtfKind.UNION: {
      const members: BtfMember[] = new Array<BtfMember>(vlen);
      for (let i = 0, m = p; i < vlen; i++, m += 12) {
        const offset = u32(m + 8);
        members[i] = {
          name: str(u32(m)),
          type: ref(u32(m + 4), `member ${i}`),
          bitOffset: kflag ? offset & 0xffffff : offset,
          bitfieldSize: kflag ? offset >>> 24 : 0,
        };
      }
      return { kind: kind === BtfKind.STRUCT ? 'STRUCT' : 'UNION', id, name, size: sizeOrType, kindFlag: kflag, members };
    }
    case BtfKind.ENUM: {
      const values: { name: string; value: number }[] = new Array<{ name: string; value: number }>(vlen);
      for (let i = 0, e = p; i < vlen; i++, e += 8) {
        values[i] = { name: str(u32(e)), value: kflag ? view.getInt32(e + 4, le) : u32(e + 4) };
      }
      return { kind: 'ENUM', id, name, size: sizeOrType, signed: kflag, values };
    }
    case BtfKind.ENUM64: {
      const values: { name: string; value: bigint }[] = new Array<{ name: string; value: bigint }>(vlen);
      for (let i = 0, e = p; i < vlen; i++, e += 12) {
        const raw = (BigInt(u32(e + 8)) << 32n) | BigInt(u32(e + 4));
        values[i] = { name: str(u32(e)), value: kflag ? BigInt.asIntN(64, raw) : raw };
      }
      return { kind: 'ENUM64', id, name, size: sizeOrType, signed: kflag, values };
    }
    case BtfKind.FWD:
      return { kind: 'FWD', id, name, union: kflag };
    case BtfKind.FUNC:
      return { kind: 'FUNC', id, name, type: ref(sizeOrType, 'FUNC'), linkage: linkage(vlen, id, off) };
    case BtfKind.FUNC_PROTO: {
      const params: { name: string; type: number }[] = new Array<{ name: string; type: number }>(vlen);
      for (let i = 0, q = p; i < vlen; i++, q += 8) params[i] = { name: str(u32(q)), type: ref(u32(q + 4), `parameter ${i}`) };
      return { kind: 'FUNC_PROTO', id, name, returnType: ref(sizeOrType, 'FUNC_PROTO return'), params };
    }
    case BtfKind.VAR:
      return { kind: 'VAR', id, name, type: ref(sizeOrType, 'VAR'), linkage: linkage(u32(p), id, p) };
    case BtfKind.DATASEC: {
      const vars: BtfVarSecinfo[] = new Array<BtfVarSecinfo>(vlen);
      for (let i = 0, v = p; i < vlen; i++, v += 12) {
        vars[i] = { type: ref(u32(v), `secinfo ${i}`), offset: u32(v + 4), size: u32(v + 8) };
      }
      return { kind: 'DATASEC', id, name, size: sizeOrType, vars };
    }
    case BtfKind.FLOAT:
      return { kind: 'FLOAT', id, name, size: sizeOrType };
    case BtfKind.DECL_TAG:
      return { kind: 'DECL_TAG', id, name, type: ref(sizeOrType, 'DECL_TAG'), componentIdx: view.getInt32(p, le), kindFlag: kflag };
    default:
      throw new BtfError(`unknown BTF kind ${kind}`, { typeId: id, offset: off });
  }
}

function linkage(value: number, id: number, off: number): BtfLinkage {
  if (value > 2) throw new BtfError(`invalid linkage ${value}`, { typeId: id, offset: off });
  return value as BtfLinkage;
}
