import { mapGetFdById } from '../sys/ids.js';
import { getMapInfo, type MapInfo } from '../sys/info.js';
import { mapLookupElem } from '../sys/map-lookup.js';
import { MapType } from '../sys/uapi.js';
import { BtfValueDumper } from './btf-value-dumper.js';
import { JsonWriter } from './json-writer.js';
import { programBtf } from './prog-name.js';

/** bpftool's prefix of metadata variables in `.rodata`. */
const METADATA_PREFIX = 'bpf_metadata_';

/** One `bpf_metadata_*` variable: its name without the prefix and its value's BTF type and bytes. */
export interface ProgMetadataEntry {
  readonly name: string;
  readonly write: (w: JsonWriter, plain: boolean) => void;
}

/**
 * A program's metadata as bpftool's `show_prog_metadata()` finds it: the first of its maps that
 * is a one-element `.rodata` array with BTF, and in that map's DATASEC every variable named
 * `bpf_metadata_*`. Empty when there is none or anything along the way fails (bpftool is silent).
 */
export function progMetadata(mapIds: readonly number[]): ProgMetadataEntry[] {
  try {
    let info: MapInfo | undefined;
    let value: Uint8Array | undefined;
    for (const id of mapIds) {
      const fd = mapGetFdById(id);
      try {
        const mi = getMapInfo(fd);
        if (mi.type !== MapType.ARRAY || mi.keySize !== 4 || mi.maxEntries !== 1 || mi.btfValueTypeId === 0 || !mi.name.includes('.rodata')) continue;
        value = mapLookupElem(fd, new Uint8Array(4), mi.valueSize);
        info = mi;
        break;
      } finally {
        fd.close();
      }
    }
    if (info === undefined || value === undefined) return [];
    const btf = programBtf(info.btfId);
    if (btf === null) return [];
    const sec = btf.typeById(info.btfValueTypeId);
    if (sec.kind !== 'DATASEC') return [];
    const bytes = value;
    const entries: ProgMetadataEntry[] = [];
    for (const v of sec.vars) {
      const t = btf.typeById(v.type);
      if (!t.name.startsWith(METADATA_PREFIX) || t.kind !== 'VAR') continue;
      const typeId = t.type;
      entries.push({
        name: t.name.slice(METADATA_PREFIX.length),
        write: (w, plain) => new BtfValueDumper(btf, w, plain).dump(typeId, bytes.subarray(v.offset)),
      });
    }
    return entries;
  } catch {
    return [];
  }
}

/** bpftool's plain metadata block (`\tmetadata:` then `\t\tname = value` lines), or `''`. */
export function formatMetadataPlain(entries: readonly ProgMetadataEntry[]): string {
  if (entries.length === 0) return '';
  let s = '\tmetadata:';
  for (const e of entries) {
    const w = new JsonWriter(false);
    e.write(w, true);
    s += `\n\t\t${e.name} = ${w.finish().slice(0, -1)}`;
  }
  return s + '\n';
}

/** bpftool's JSON `"metadata": {...}` member, written only when there are entries. */
export function writeMetadataJson(w: JsonWriter, entries: readonly ProgMetadataEntry[]): void {
  if (entries.length === 0) return;
  w.name('metadata').startObject();
  for (const e of entries) {
    w.name(e.name);
    e.write(w, false);
  }
  w.endObject();
}
