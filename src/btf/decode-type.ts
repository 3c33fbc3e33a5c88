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

// The helpers below are module functions taking plain arguments rather than closures, and build
// error text only when failing: decodeType runs for every one of vmlinux's 100k+ types.

function str(src: TypeRecordSource, o: number, id: number, off: number): string {
  if (!src.strings.has(o)) throw new BtfError(`string offset ${o} is outside the string section (size ${src.strings.endOffset})`, { typeId: id, offset: off });
  return src.strings.get(o, id);
}

/** `what` names the referencing field; `index` >= 0 appends the member/param/secinfo number. */
function ref(src: TypeRecordSource, t: number, what: string, index: number, id: number, off: number): number {
  if (t >= src.typeCount) {
    const field = index >= 0 ? `${what} ${index}` : what;
    throw new BtfError(`${field} references type id ${t}, but only ${src.typeCount - 1} types exist`, { typeId: id, offset: off });
  }
  return t;
}

function linkage(value: number, id: number, off: number): BtfLinkage {
  if (value > 2) throw new BtfError(`invalid linkage ${value}`, { typeId: id, offset: off });
  return value as BtfLinkage;
}

/**
 * Inflates the record at absolute byte offset `off` (already bounds-checked by the indexing
 * pass) into a `BtfType`, checking string offsets, referenced type ids and linkage values.
 */
export function decodeType(src: TypeRecordSource, id: number, off: number): BtfType {
  const view = src.view;
  const le = src.littleEndian;
  const info = view.getUint32(off + 4, le);
  const kind = infoKind(info);
  const vlen = infoVlen(info);
  const kflag = infoKflag(info);
  const name = str(src, view.getUint32(off, le), id, off);
  const sizeOrType = view.getUint32(off + 8, le);
  const p = off + BTF_TYPE_SIZE;
  switch (kind) {
    case BtfKind.INT: {
      const v = view.getUint32(p, le);
      return { kind: 'INT', id, name, size: sizeOrType, encoding: (v >>> 24) & 0x0f, bitOffset: (v >>> 16) & 0xff, bits: v & 0xff };
    }
    case BtfKind.PTR:
      return { kind: 'PTR', id, name, type: ref(src, sizeOrType, 'PTR', -1, id, off) };
    case BtfKind.TYPEDEF:
      return { kind: 'TYPEDEF', id, name, type: ref(src, sizeOrType, 'TYPEDEF', -1, id, off) };
    case BtfKind.VOLATILE:
      return { kind: 'VOLATILE', id, name, type: ref(src, sizeOrType, 'VOLATILE', -1, id, off) };
    case BtfKind.CONST:
      return { kind: 'CONST', id, name, type: ref(src, sizeOrType, 'CONST', -1, id, off) };
    case BtfKind.RESTRICT:
      return { kind: 'RESTRICT', id, name, type: ref(src, sizeOrType, 'RESTRICT', -1, id, off) };
    case BtfKind.TYPE_TAG:
      return { kind: 'TYPE_TAG', id, name, type: ref(src, sizeOrType, 'TYPE_TAG', -1, id, off), kindFlag: kflag };
    case BtfKind.ARRAY:
      return {
        kind: 'ARRAY', id, name,
        type: ref(src, view.getUint32(p, le), 'ARRAY element', -1, id, off),
        indexType: ref(src, view.getUint32(p + 4, le), 'ARRAY index', -1, id, off),
        nelems: view.getUint32(p + 8, le),
      };
    case BtfKind.STRUCT:
    case BtfKind.UNION: {
      const members: BtfMember[] = new Array<BtfMember>(vlen);
      for (let i = 0, m = p; i < vlen; i++, m += 12) {
        const offset = view.getUint32(m + 8, le);
        members[i] = {
          name: str(src, view.getUint32(m, le), id, off),
          type: ref(src, view.getUint32(m + 4, le), 'member', i, id, off),
          bitOffset: kflag ? offset & 0xffffff : offset,
          bitfieldSize: kflag ? offset >>> 24 : 0,
        };
      }
      return { kind: kind === BtfKind.STRUCT ? 'STRUCT' : 'UNION', id, name, size: sizeOrType, kindFlag: kflag, members };
    }
    case BtfKind.ENUM: {
      const values: { name: string; value: number }[] = new Array<{ name: string; value: number }>(vlen);
      for (let i = 0, e = p; i < vlen; i++, e += 8) {
        values[i] = { name: str(src, view.getUint32(e, le), id, off), value: kflag ? view.getInt32(e + 4, le) : view.getUint32(e + 4, le) };
      }
      return { kind: 'ENUM', id, name, size: sizeOrType, signed: kflag, values };
    }
    case BtfKind.ENUM64: {
      const values: { name: string; value: bigint }[] = new Array<{ name: string; value: bigint }>(vlen);
      for (let i = 0, e = p; i < vlen; i++, e += 12) {
        const raw = (BigInt(view.getUint32(e + 8, le)) << 32n) | BigInt(view.getUint32(e + 4, le));
        values[i] = { name: str(src, view.getUint32(e, le), id, off), value: kflag ? BigInt.asIntN(64, raw) : raw };
      }
      return { kind: 'ENUM64', id, name, size: sizeOrType, signed: kflag, values };
    }
    case BtfKind.FWD:
      return { kind: 'FWD', id, name, union: kflag };
    case BtfKind.FUNC:
      return { kind: 'FUNC', id, name, type: ref(src, sizeOrType, 'FUNC', -1, id, off), linkage: linkage(vlen, id, off) };
    case BtfKind.FUNC_PROTO: {
      const params: { name: string; type: number }[] = new Array<{ name: string; type: number }>(vlen);
      for (let i = 0, q = p; i < vlen; i++, q += 8) {
        params[i] = { name: str(src, view.getUint32(q, le), id, off), type: ref(src, view.getUint32(q + 4, le), 'parameter', i, id, off) };
      }
      return { kind: 'FUNC_PROTO', id, name, returnType: ref(src, sizeOrType, 'FUNC_PROTO return', -1, id, off), params };
    }
    case BtfKind.VAR:
      return { kind: 'VAR', id, name, type: ref(src, sizeOrType, 'VAR', -1, id, off), linkage: linkage(view.getUint32(p, le), id, p) };
    case BtfKind.DATASEC: {
      const vars: BtfVarSecinfo[] = new Array<BtfVarSecinfo>(vlen);
      for (let i = 0, v = p; i < vlen; i++, v += 12) {
        vars[i] = { type: ref(src, view.getUint32(v, le), 'secinfo', i, id, off), offset: view.getUint32(v + 4, le), size: view.getUint32(v + 8, le) };
      }
      return { kind: 'DATASEC', id, name, size: sizeOrType, vars };
    }
    case BtfKind.FLOAT:
      return { kind: 'FLOAT', id, name, size: sizeOrType };
    case BtfKind.DECL_TAG:
      return { kind: 'DECL_TAG', id, name, type: ref(src, sizeOrType, 'DECL_TAG', -1, id, off), componentIdx: view.getInt32(p, le), kindFlag: kflag };
    default:
      throw new BtfError(`unknown BTF kind ${kind}`, { typeId: id, offset: off });
  }
}
