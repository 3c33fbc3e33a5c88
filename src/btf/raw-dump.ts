import { BpftoolJsonWriter } from './bpftool-json.js';
import type { Btf } from './btf.js';
import type { BtfType } from './types.js';

/** Options of `dumpBtfRaw` / `dumpBtfRawJson`. */
export interface RawDumpOptions {
  /** Dump only these ids (bpftool's `root_id`), in this order; default: the blob's own types. */
  readonly ids?: readonly number[];
  /** `-p`: indent the JSON (bpftool's pretty json_writer). */
  readonly pretty?: boolean;
}

const INT_ENCODINGS: Readonly<Record<number, string>> = { 0: '(none)', 1: 'SIGNED', 2: 'CHAR', 4: 'BOOL' };
const FUNC_LINKAGES = ['static', 'global', 'extern'] as const;
const VAR_LINKAGES = ['static', 'global', 'extern'] as const;

function anon(name: string): string {
  return name === '' ? '(anon)' : name;
}

function idsOf(btf: Btf, options: RawDumpOptions): Iterable<number> {
  if (options.ids !== undefined) return options.ids;
  return (function* () {
    for (let id = btf.firstId; id < btf.typeCount; id++) yield id;
  })();
}

/**
 * bpftool's `btf dump ... format raw` text (`dump_btf_type` in bpftool's `btf.c`): one
 * `[id] KIND 'name' ...` line per type plus tab-indented member/value/param lines. For split
 * BTF only the split part is printed, with its real ids, as bpftool does.
 *
 * @example
 * ```ts
 * process.stdout.write(dumpBtfRaw(parseBtf(readFileSync('/sys/kernel/btf/vmlinux'))));
 * ```
 */
export function dumpBtfRaw(btf: Btf, options: RawDumpOptions = {}): string {
  return [...dumpBtfRawChunks(btf, options)].join('');
}

/**
 * `dumpBtfRaw` in pieces of about 64 KiB, so a caller can stream vmlinux's ~10 MB dump instead
 * of holding it as one string.
 */
export function* dumpBtfRawChunks(btf: Btf, options: RawDumpOptions = {}): Generator<string, void, void> {
  let chunk = '';
  for (const id of idsOf(btf, options)) {
    // Root id 0 (a map without a key type) is `void`, which bpftool prints as an UNKNOWN type.
    chunk += id === 0 ? "[0] UNKNOWN '(anon)'\n" : formatType(btf, btf.decodeType(id));
    if (chunk.length >= 65536) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

function formatType(btf: Btf, t: BtfType): string {
  let s = `[${t.id}] ${t.kind} '${anon(t.name)}'`;
  switch (t.kind) {
    case 'INT':
      s += ` size=${t.size} bits_offset=${t.bitOffset} nr_bits=${t.bits} encoding=${INT_ENCODINGS[t.encoding] ?? 'UNKN'}`;
      break;
    case 'PTR':
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
    case 'TYPEDEF':
    case 'TYPE_TAG':
      s += ` type_id=${t.type}`;
      break;
    case 'ARRAY':
      s += ` type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
      break;
    case 'STRUCT':
    case 'UNION':
      s += ` size=${t.size} vlen=${t.members.length}`;
      for (const m of t.members) {
        s += `\n\t'${anon(m.name)}' type_id=${m.type} bits_offset=${m.bitOffset}`;
        if (m.bitfieldSize !== 0) s += ` bitfield_size=${m.bitfieldSize}`;
      }
      break;
    case 'ENUM':
    case 'ENUM64': {
      s += ` encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`;
      const suffix = t.kind === 'ENUM' ? '' : t.signed ? 'LL' : 'ULL';
      for (const v of t.values) s += `\n\t'${anon(v.name)}' val=${v.value}${suffix}`;
      break;
    }
    case 'FWD':
      s += ` fwd_kind=${t.union ? 'union' : 'struct'}`;
      break;
    case 'FUNC':
      s += ` type_id=${t.type} linkage=${FUNC_LINKAGES[t.linkage]}`;
      break;
    case 'FUNC_PROTO':
      s += ` ret_type_id=${t.returnType} vlen=${t.params.length}`;
      for (const p of t.params) s += `\n\t'${anon(p.name)}' type_id=${p.type}`;
      break;
    case 'VAR':
      s += ` type_id=${t.type}, linkage=${VAR_LINKAGES[t.linkage]}`;
      break;
    case 'DATASEC':
      s += ` size=${t.size} vlen=${t.vars.length}`;
      for (const v of t.vars) {
        s += `\n\ttype_id=${v.type} offset=${v.offset} size=${v.size}`;
        if (v.type === 0) s += ` (UNKNOWN '(anon)')`;
        else s += ` (${btf.kindOf(v.type)} '${anon(btf.typeName(v.type))}')`;
      }
      break;
    case 'FLOAT':
      s += ` size=${t.size}`;
      break;
    case 'DECL_TAG':
      s += ` type_id=${t.type} component_idx=${t.componentIdx}`;
      break;
  }
  return s + '\n';
}

/**
 * bpftool's `-j btf dump ... format raw`: `{"types":[{"id":..,"kind":..,"name":..,...}]}` with
 * the same field names and order, u64 enum values printed exactly.
 */
export function dumpBtfRawJson(btf: Btf, options: RawDumpOptions = {}): string {
  return [...dumpBtfRawJsonChunks(btf, options)].join('');
}

/** `dumpBtfRawJson` in pieces of about 64 KiB, for streaming. */
export function* dumpBtfRawJsonChunks(btf: Btf, options: RawDumpOptions = {}): Generator<string, void, void> {
  const w = new BpftoolJsonWriter(options.pretty ?? false);
  w.startObject();
  w.name('types');
  w.startArray();
  for (const id of idsOf(btf, options)) {
    if (id !== 0) writeTypeJson(w, btf.decodeType(id));
    else {
      w.startObject();
      w.numberField('id', 0);
      w.stringField('kind', 'UNKNOWN');
      w.stringField('name', '(anon)');
      w.endObject();
    }
    if (w.pending >= 65536) yield w.take();
  }
  w.endArray();
  w.endObject();
  yield w.finish();
}

function writeTypeJson(w: BpftoolJsonWriter, t: BtfType): void {
  w.startObject();
  w.numberField('id', t.id);
  w.stringField('kind', t.kind);
  w.stringField('name', anon(t.name));
  switch (t.kind) {
    case 'INT':
      w.numberField('size', t.size);
      w.numberField('bits_offset', t.bitOffset);
      w.numberField('nr_bits', t.bits);
      w.stringField('encoding', INT_ENCODINGS[t.encoding] ?? 'UNKN');
      break;
    case 'PTR':
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
    case 'TYPEDEF':
    case 'TYPE_TAG':
      w.numberField('type_id', t.type);
      break;
    case 'ARRAY':
      w.numberField('type_id', t.type);
      w.numberField('index_type_id', t.indexType);
      w.numberField('nr_elems', t.nelems);
      break;
    case 'STRUCT':
    case 'UNION':
      w.numberField('size', t.size);
      w.numberField('vlen', t.members.length);
      w.name('members');
      w.startArray();
      for (const m of t.members) {
        w.startObject();
        w.stringField('name', anon(m.name));
        w.numberField('type_id', m.type);
        w.numberField('bits_offset', m.bitOffset);
        if (m.bitfieldSize !== 0) w.numberField('bitfield_size', m.bitfieldSize);
        w.endObject();
      }
      w.endArray();
      break;
    case 'ENUM':
    case 'ENUM64':
      w.stringField('encoding', t.signed ? 'SIGNED' : 'UNSIGNED');
      w.numberField('size', t.size);
      w.numberField('vlen', t.values.length);
      w.name('values');
      w.startArray();
      for (const v of t.values) {
        w.startObject();
        w.stringField('name', anon(v.name));
        // bpftool passes the `__s32 val` of an unsigned ENUM to jsonw_uint_field, which
        // sign-extends it to u64: mirror that so the JSON stays identical.
        w.numberField('val', t.kind === 'ENUM' && !t.signed ? BigInt.asUintN(64, BigInt(Number(v.value) | 0)) : v.value);
        w.endObject();
      }
      w.endArray();
      break;
    case 'FWD':
      w.stringField('fwd_kind', t.union ? 'union' : 'struct');
      break;
    case 'FUNC':
      w.numberField('type_id', t.type);
      w.stringField('linkage', FUNC_LINKAGES[t.linkage]);
      break;
    case 'FUNC_PROTO':
      w.numberField('ret_type_id', t.returnType);
      w.numberField('vlen', t.params.length);
      w.name('params');
      w.startArray();
      for (const p of t.params) {
        w.startObject();
        w.stringField('name', anon(p.name));
        w.numberField('type_id', p.type);
        w.endObject();
      }
      w.endArray();
      break;
    case 'VAR':
      w.numberField('type_id', t.type);
      w.stringField('linkage', VAR_LINKAGES[t.linkage]);
      break;
    case 'DATASEC':
      w.numberField('size', t.size);
      w.numberField('vlen', t.vars.length);
      w.name('vars');
      w.startArray();
      for (const v of t.vars) {
        w.startObject();
        w.numberField('type_id', v.type);
        w.numberField('offset', v.offset);
        w.numberField('size', v.size);
        w.endObject();
      }
      w.endArray();
      break;
    case 'FLOAT':
      w.numberField('size', t.size);
      break;
    case 'DECL_TAG':
      w.numberField('type_id', t.type);
      w.numberField('component_idx', t.componentIdx);
      break;
  }
  w.endObject();
}
