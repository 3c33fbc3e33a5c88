import type { Btf } from './btf.js';
import { BtfError } from './errors.js';
import { BTF_HEADER_SIZE, BTF_MAGIC, BTF_VERSION } from './header.js';
import { BTF_TYPE_SIZE, makeInfo, trailingSize } from './layout.js';
import { BtfStringTable } from './string-table.js';
import { BtfKind, type BtfType } from './types.js';

/** Options of `encodeBtf`. */
export interface EncodeBtfOptions {
  /** Byte order of the output; default little-endian (the BPF target of x86-64/arm64 hosts). */
  readonly littleEndian?: boolean;
  /**
   * The parsed BTF the types come from (libbpf edits its object BTF in place; this gets the
   * same cost): a type that is the very object `source.typeById` returns for its position is
   * copied as its raw record, and a changed type keeps its record's name offset while its name
   * is unchanged. Used only when `strings` was seeded from `source.strings`, `source` is not
   * split BTF, and the byte orders match; otherwise every type is encoded.
   */
  readonly source?: Btf;
}

/**
 * Encodes types into a BTF blob (`btf__raw_data`): header, type section, string section. Type
 * ids are positions: the first type gets id 1 (or `strings.base`'s next id for split BTF); the
 * `id` fields are not consulted. Names are interned through `strings`, so seeding it with
 * `BtfStringTable.from(btf.strings)` reproduces canonical input byte for byte.
 *
 * @example
 * ```ts
 * const bytes = encodeBtf([...btf.types()], BtfStringTable.from(btf.strings));
 * ```
 */
export function encodeBtf(types: Iterable<BtfType>, strings: BtfStringTable = new BtfStringTable(), options: EncodeBtfOptions = {}): Uint8Array {
  const le = options.littleEndian ?? true;
  const list = Array.isArray(types) ? (types as readonly BtfType[]) : [...types];
  let typeLen = 0;
  for (let i = 0; i < list.length; i++) {
    const t = list[i] as BtfType;
    typeLen += BTF_TYPE_SIZE + trailingSize(BtfKind[t.kind], vlenOf(t));
  }
  const typeBytes = new Uint8Array(typeLen);
  const view = new DataView(typeBytes.buffer);
  const source = options.source;
  const raw = source !== undefined && source.base === undefined && strings.seededFrom === source.strings && source.header.littleEndian === le ? source : undefined;
  let off = 0;
  for (let i = 0; i < list.length; i++) {
    const t = list[i] as BtfType;
    const id = i + 1;
    if (raw !== undefined && id < raw.typeCount) {
      const original = raw.inflatedType(id);
      if (original === t) {
        // Unchanged types come in runs: one copy per run.
        let last = id;
        while (last < list.length && last + 1 < raw.typeCount && raw.inflatedType(last + 1) === list[last]) last++;
        const records = raw.rawRecords(id, last);
        typeBytes.set(records, off);
        off += records.length;
        i = last - 1;
        continue;
      }
      if (original !== undefined && original.name === t.name) {
        off = encodeType(view, off, t, strings, le, raw.nameOffset(id));
        continue;
      }
    }
    off = encodeType(view, off, t, strings, le);
  }
  return assemble(typeBytes, strings, le);
}

/** The types and appended types `encodeBtfEdits` writes over a parsed BTF. */
export interface BtfEdits {
  /** Own types of the source replaced, by id. */
  readonly changed: ReadonlyMap<number, BtfType>;
  /** Types after the source's last, ids continuing from `source.typeCount`. */
  readonly appended: readonly BtfType[];
}

/**
 * Encodes `source` with `edits` applied, as `encodeBtf` would encode the full list of types
 * (`source`'s own types with `changed` ones replaced, then `appended`): libbpf edits its object
 * BTF in place, and this costs about as much. Unchanged records are copied as they are (a type
 * is never inflated), changed ones keep their name offset while the name is unchanged; other
 * names are interned in `strings`, which must have been seeded with `source.strings`
 * (`BtfStringTable.from`); otherwise, or for split BTF, every type is inflated and encoded.
 *
 * @example
 * ```ts
 * const bytes = encodeBtfEdits(btf, { changed: new Map([[id, { ...btf.typeById(id), size: 8 }]]), appended: [] }, BtfStringTable.from(btf.strings));
 * ```
 */
export function encodeBtfEdits(source: Btf, edits: BtfEdits, strings: BtfStringTable, options: Omit<EncodeBtfOptions, 'source'> = {}): Uint8Array {
  const le = options.littleEndian ?? true;
  const { changed, appended } = edits;
  if (source.base !== undefined || strings.seededFrom !== source.strings || source.header.littleEndian !== le) {
    const all: BtfType[] = [];
    for (let id = source.firstId; id < source.typeCount; id++) all.push(changed.get(id) ?? source.typeById(id));
    for (let i = 0; i < appended.length; i++) all.push(appended[i] as BtfType);
    return encodeBtf(all, strings, { ...options, source });
  }
  const count = source.typeCount;
  let typeLen = 0;
  for (let id = 1; id < count; id++) {
    const t = changed.get(id);
    if (t !== undefined) {
      typeLen += BTF_TYPE_SIZE + trailingSize(BtfKind[t.kind], vlenOf(t));
      continue;
    }
    let last = id;
    while (last + 1 < count && !changed.has(last + 1)) last++;
    typeLen += source.rawRecords(id, last).length;
    id = last;
  }
  for (let i = 0; i < appended.length; i++) {
    const t = appended[i] as BtfType;
    typeLen += BTF_TYPE_SIZE + trailingSize(BtfKind[t.kind], vlenOf(t));
  }
  const typeBytes = new Uint8Array(typeLen);
  const view = new DataView(typeBytes.buffer);
  let off = 0;
  for (let id = 1; id < count; id++) {
    const t = changed.get(id);
    if (t === undefined) {
      // Unchanged types come in runs: one copy per run.
      let last = id;
      while (last + 1 < count && !changed.has(last + 1)) last++;
      const records = source.rawRecords(id, last);
      typeBytes.set(records, off);
      off += records.length;
      id = last;
      continue;
    }
    off = encodeType(view, off, t, strings, le, source.typeName(id) === t.name ? source.nameOffset(id) : undefined);
  }
  for (let i = 0; i < appended.length; i++) off = encodeType(view, off, appended[i] as BtfType, strings, le);
  return assemble(typeBytes, strings, le);
}

/** Header, type section, string section. */
function assemble(typeBytes: Uint8Array, strings: BtfStringTable, le: boolean): Uint8Array {
  const typeLen = typeBytes.length;
  const strBytes = strings.toBytes();
  const out = new Uint8Array(BTF_HEADER_SIZE + typeLen + strBytes.length);
  const hv = new DataView(out.buffer);
  hv.setUint16(0, BTF_MAGIC, le);
  hv.setUint8(2, BTF_VERSION);
  hv.setUint8(3, 0);
  hv.setUint32(4, BTF_HEADER_SIZE, le);
  hv.setUint32(8, 0, le);
  hv.setUint32(12, typeLen, le);
  hv.setUint32(16, typeLen, le);
  hv.setUint32(20, strBytes.length, le);
  out.set(typeBytes, BTF_HEADER_SIZE);
  out.set(strBytes, BTF_HEADER_SIZE + typeLen);
  return out;
}

function vlenOf(t: BtfType): number {
  switch (t.kind) {
    case 'STRUCT':
    case 'UNION':
      return t.members.length;
    case 'ENUM':
    case 'ENUM64':
      return t.values.length;
    case 'FUNC_PROTO':
      return t.params.length;
    case 'DATASEC':
      return t.vars.length;
    case 'FUNC':
      return t.linkage;
    default:
      return 0;
  }
}

function u32(value: number, what: string, t: BtfType): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new BtfError(`${t.kind} '${t.name}': ${what} ${value} is not a u32`, { typeId: t.id });
  return value;
}

function encodeType(view: DataView, off: number, t: BtfType, strings: BtfStringTable, le: boolean, nameOffset?: number): number {
  const vlen = vlenOf(t);
  if (vlen > 0xffff) throw new BtfError(`${t.kind} '${t.name}' has ${vlen} entries, more than BTF's 65535`, { typeId: t.id });
  let kflag = false;
  let sizeOrType = 0;
  switch (t.kind) {
    case 'INT':
    case 'ENUM':
    case 'ENUM64':
    case 'STRUCT':
    case 'UNION':
    case 'DATASEC':
    case 'FLOAT':
      sizeOrType = t.size;
      break;
    case 'FUNC_PROTO':
      sizeOrType = t.returnType;
      break;
    case 'FWD':
    case 'ARRAY':
      break;
    default:
      sizeOrType = t.type;
  }
  if (t.kind === 'STRUCT' || t.kind === 'UNION' || t.kind === 'TYPE_TAG' || t.kind === 'DECL_TAG') kflag = t.kindFlag;
  else if (t.kind === 'ENUM' || t.kind === 'ENUM64') kflag = t.signed;
  else if (t.kind === 'FWD') kflag = t.union;
  view.setUint32(off, nameOffset ?? strings.add(t.name), le);
  view.setUint32(off + 4, makeInfo(BtfKind[t.kind], kflag, vlen), le);
  view.setUint32(off + 8, u32(sizeOrType, 'size/type', t), le);
  let p = off + BTF_TYPE_SIZE;
  switch (t.kind) {
    case 'INT':
      if (t.encoding > 0xf || t.bitOffset > 0xff || t.bits > 0xff) throw new BtfError(`INT '${t.name}': encoding/offset/bits out of range`, { typeId: t.id });
      view.setUint32(p, ((t.encoding << 24) | (t.bitOffset << 16) | t.bits) >>> 0, le);
      return p + 4;
    case 'ARRAY':
      view.setUint32(p, u32(t.type, 'element type', t), le);
      view.setUint32(p + 4, u32(t.indexType, 'index type', t), le);
      view.setUint32(p + 8, u32(t.nelems, 'nelems', t), le);
      return p + 12;
    case 'STRUCT':
    case 'UNION':
      for (const m of t.members) {
        if (t.kindFlag && (m.bitOffset > 0xffffff || m.bitfieldSize > 0xff)) throw new BtfError(`member '${m.name}': bit offset/size out of range`, { typeId: t.id });
        if (!t.kindFlag && m.bitfieldSize !== 0) throw new BtfError(`member '${m.name}' is a bitfield but the kind flag is clear`, { typeId: t.id });
        view.setUint32(p, strings.add(m.name), le);
        view.setUint32(p + 4, u32(m.type, 'member type', t), le);
        view.setUint32(p + 8, t.kindFlag ? ((m.bitfieldSize << 24) | m.bitOffset) >>> 0 : u32(m.bitOffset, 'bit offset', t), le);
        p += 12;
      }
      return p;
    case 'ENUM':
      for (const v of t.values) {
        view.setUint32(p, strings.add(v.name), le);
        view.setUint32(p + 4, v.value >>> 0, le);
        p += 8;
      }
      return p;
    case 'ENUM64':
      for (const v of t.values) {
        const raw = BigInt.asUintN(64, v.value);
        view.setUint32(p, strings.add(v.name), le);
        view.setUint32(p + 4, Number(raw & 0xffffffffn), le);
        view.setUint32(p + 8, Number(raw >> 32n), le);
        p += 12;
      }
      return p;
    case 'FUNC_PROTO':
      for (const q of t.params) {
        view.setUint32(p, strings.add(q.name), le);
        view.setUint32(p + 4, u32(q.type, 'parameter type', t), le);
        p += 8;
      }
      return p;
    case 'VAR':
      view.setUint32(p, t.linkage, le);
      return p + 4;
    case 'DATASEC':
      for (const v of t.vars) {
        view.setUint32(p, u32(v.type, 'secinfo type', t), le);
        view.setUint32(p + 4, u32(v.offset, 'secinfo offset', t), le);
        view.setUint32(p + 8, u32(v.size, 'secinfo size', t), le);
        p += 12;
      }
      return p;
    case 'DECL_TAG':
      view.setInt32(p, t.componentIdx, le);
      return p + 4;
    default:
      return p;
  }
}
