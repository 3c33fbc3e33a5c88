import type { Btf } from '../btf/btf.js';
import { loadKernelBtf } from '../btf/kernel-btf.js';
import { isMapOfMapsType, isPerCpuMapType, perCpuStride } from '../maps/map-kinds.js';
import type { BpfMap } from '../maps/map.js';
import { mapBtf } from '../maps/typed-map.js';
import { possibleCpus } from '../sys/cpus.js';
import { strerror } from '../sys/strerror.js';
import { MapType } from '../sys/uapi.js';
import { BtfValueDumper } from './btf-value-dumper.js';
import { JsonWriter } from './json-writer.js';

/**
 * How bpftool prints map entries (`map.c`: `print_entry_plain`, `print_entry_json`,
 * `print_entry_error`, `do_dump_btf`), shared by `map dump`, `lookup`, `peek`, `pop` and
 * `getnext`.
 */

/** bpftool's `fprint_hex(f, data, n, " ")`: 16 bytes per line, two spaces after every 8th. */
export function hexBytes(data: Uint8Array, n = data.byteLength): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    let pfx = '';
    if (i === 0) {
      // nothing
    } else if (i % 16 === 0) out += '\n';
    else if (i % 8 === 0) out += '  ';
    else pfx = ' ';
    out += pfx + (data[i] ?? 0).toString(16).padStart(2, '0');
  }
  return out;
}

/** `print_hex_data_json`: `["0x01","0x02"]`. */
export function writeHexJson(w: JsonWriter, data: Uint8Array, n = data.byteLength): void {
  w.startArray();
  for (let i = 0; i < n; i++) w.raw(`"0x${(data[i] ?? 0).toString(16).padStart(2, '0')}"`);
  w.endArray();
}

/** The facts about a map the printers need (from `struct bpf_map_info`). */
export interface MapShape {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  readonly btfVmlinuxValueTypeId: number;
}

function cpus(shape: MapShape): { n: number; step: number } {
  return { n: possibleCpus().length, step: perCpuStride(shape.valueSize) };
}

/**
 * bpftool's `get_map_kv_btf`: vmlinux BTF for struct_ops values, the map's BTF object when it has
 * a value type, else none.
 */
export function mapKvBtf(map: BpfMap): Btf | undefined {
  if (map.btfVmlinuxValueTypeId !== 0) return loadKernelBtf();
  if (map.btfValueTypeId !== 0) return mapBtf(map);
  return undefined;
}

/** `print_entry_plain`. */
export function entryPlain(shape: MapShape, key: Uint8Array, value: Uint8Array): string {
  let out = '';
  if (!isPerCpuMapType(shape.type)) {
    const breakNames = shape.keySize > 16 || shape.valueSize > 16;
    const singleLine = shape.keySize + shape.valueSize <= 24 && !breakNames;
    if (shape.keySize !== 0) out += `key:${breakNames ? '\n' : ' '}${hexBytes(key, shape.keySize)}${singleLine ? '  ' : '\n'}`;
    // bpftool v7.1 (the reference the tests run) prints map-in-map values as hex too; later
    // versions print `inner_map_id: N` instead.
    if (shape.valueSize !== 0) out += `value:${breakNames ? '\n' : ' '}${hexBytes(value, shape.valueSize)}`;
    return out + '\n';
  }
  const { n, step } = cpus(shape);
  if (shape.keySize !== 0) out += `key:\n${hexBytes(key, shape.keySize)}\n`;
  if (shape.valueSize !== 0) {
    for (let i = 0; i < n; i++) {
      out += `value (CPU ${String(i).padStart(2, '0')}):${shape.valueSize > 16 ? '\n' : ' '}${hexBytes(value.subarray(i * step), shape.valueSize)}\n`;
    }
  }
  return out;
}

/**
 * `btf_dumper_type` for one value: BtfValueDumper, plus bpftool's DATASEC layout (global-data
 * maps): `{"<section>": [{"<var>": value}, ...]}`, which that dumper does not produce.
 */
function dumpValue(dumper: BtfValueDumper, w: JsonWriter, btf: Btf, typeId: number, data: Uint8Array): void {
  const t = btf.typeById(typeId);
  if (t.kind !== 'DATASEC') {
    dumper.dump(typeId, data);
    return;
  }
  w.startObject().name(t.name).startArray();
  for (const v of t.vars) {
    const vt = btf.typeById(v.type);
    if (vt.kind === 'VAR') {
      w.startObject().name(vt.name);
      dumper.dump(vt.type, data.subarray(v.offset));
      w.endObject();
    } else {
      dumper.dump(v.type, data.subarray(v.offset));
    }
  }
  w.endArray().endObject();
}

/** `do_dump_btf`: `{"key": ..., "value": ...}` (per-CPU: `"values": [{"cpu": i, "value": ...}]`). */
export function writeBtfEntry(w: JsonWriter, btf: Btf, shape: MapShape, key: Uint8Array, value: Uint8Array, plain: boolean): void {
  const dumper = new BtfValueDumper(btf, w, plain);
  w.startObject();
  if (shape.btfKeyTypeId !== 0) {
    w.name('key');
    dumpValue(dumper, w, btf, shape.btfKeyTypeId, key);
  }
  const valueId = shape.btfVmlinuxValueTypeId !== 0 ? shape.btfVmlinuxValueTypeId : shape.btfValueTypeId;
  if (!isPerCpuMapType(shape.type)) {
    w.name('value');
    dumpValue(dumper, w, btf, valueId, value);
  } else {
    const { n, step } = cpus(shape);
    w.name('values').startArray();
    for (let i = 0; i < n; i++) {
      w.startObject().uintField('cpu', i).name('value');
      dumpValue(dumper, w, btf, valueId, value.subarray(i * step));
      w.endObject();
    }
    w.endArray();
  }
  w.endObject();
}

/** `print_entry_json`: hex key/value (per-CPU: `values`) and `formatted` with BTF (bpftool v7.1 layout). */
export function writeEntryJson(w: JsonWriter, shape: MapShape, key: Uint8Array, value: Uint8Array, btf: Btf | undefined): void {
  w.startObject();
  w.name('key');
  writeHexJson(w, key, shape.keySize);
  if (!isPerCpuMapType(shape.type)) {
    w.name('value');
    writeHexJson(w, value, shape.valueSize);
  } else {
    const { n, step } = cpus(shape);
    w.name('values').startArray();
    for (let i = 0; i < n; i++) {
      w.startObject().uintField('cpu', i).name('value');
      writeHexJson(w, value.subarray(i * step), shape.valueSize);
      w.endObject();
    }
    w.endArray();
  }
  if (btf !== undefined) {
    w.name('formatted');
    writeBtfEntry(w, btf, shape, key, value, false);
  }
  w.endObject();
}

/**
 * `print_entry_error`: nothing for an empty prog array / map-in-map slot; else the key with the
 * error in place of the value (`<no entry>` for ENOENT).
 */
export function entryError(shape: MapShape, key: Uint8Array, errno: number, code: string, w: JsonWriter | undefined): string {
  if ((isMapOfMapsType(shape.type) || shape.type === MapType.PROG_ARRAY) && code === 'ENOENT') return '';
  if (w !== undefined) {
    w.startObject().name('key');
    writeHexJson(w, key, shape.keySize);
    w.name('value').startObject().stringField('error', strerror(errno)).endObject();
    w.endObject();
    return '';
  }
  const msg = code === 'ENOENT' ? '<no entry>' : code === 'ENOSPC' && shape.type === MapType.REUSEPORT_SOCKARRAY ? '<cannot read>' : strerror(errno);
  const breakNames = shape.keySize > 16 || msg.length > 16;
  const singleLine = shape.keySize + msg.length <= 24 && !breakNames;
  return `key:${breakNames ? '\n' : ' '}${hexBytes(key, shape.keySize)}${singleLine ? '  ' : '\n'}value:${breakNames ? '\n' : ' '}${msg}\n`;
}

/** bpftool's `print_key_value`: one entry as `lookup`/`peek`/`pop` print it. */
export function printKeyValue(map: BpfMap, key: Uint8Array, value: Uint8Array, json: boolean, pretty: boolean): string {
  const btf = mapKvBtf(map);
  if (json) {
    const w = new JsonWriter(pretty);
    writeEntryJson(w, map, key, value, btf);
    return w.finish();
  }
  if (btf !== undefined) {
    const w = new JsonWriter(true);
    writeBtfEntry(w, btf, map, key, value, true);
    return w.finish();
  }
  return entryPlain(map, key, value);
}
