/**
 * libbpf's `bpf_object__init_user_btf_maps()` (`.maps`), the pre-1.0 `SEC("maps")` definitions
 * libbpf dropped but old objects still carry (cilium/ebpf reads them too), and
 * `bpf_object__collect_map_relos()` (`.values` initialisers in `.rel.maps`).
 */
import type { BtfDatasec } from '../btf/types.js';
import { SymbolType } from '../elf/constants.js';
import type { ElfSymbol } from '../elf/model.js';
import { MapType } from '../sys/uapi.js';
import { parseBtfMapDef, type BtfMapDef } from './btf-map-def.js';
import type { ObjectContext } from './collect-elf.js';
import { ObjectSpecError } from './errors.js';
import { MapSpec, PinType, type MapSlot } from './map-spec.js';

/** `struct bpf_map_def` (legacy): type, key_size, value_size, max_entries, map_flags. */
const LEGACY_MAP_DEF_SIZE = 20;
const POINTER_SIZE = 8;

function mapSpecFromDef(name: string, def: BtfMapDef, init: { sectionName: string; sectionIndex: number; sectionOffset: number; btfVarId: number }, values: readonly MapSlot[] = []): MapSpec {
  return new MapSpec({
    name,
    source: 'btf',
    ...init,
    type: def.type ?? 0,
    keySize: def.keySize ?? 0,
    valueSize: def.valueSize ?? 0,
    maxEntries: def.maxEntries ?? 0,
    flags: def.flags ?? 0,
    numaNode: def.numaNode ?? 0,
    pinning: def.pinning ?? PinType.NONE,
    mapExtra: def.mapExtra ?? 0n,
    btfKeyTypeId: def.btfKeyTypeId,
    btfValueTypeId: def.btfValueTypeId,
    innerMap: def.inner === undefined ? undefined : mapSpecFromDef(name + '.inner', def.inner, { ...init, btfVarId: 0 }),
    values,
    data: undefined,
  });
}

/**
 * BTF-defined maps of `.maps`, in the order of the `.maps` DATASEC (libbpf's order). Offsets
 * come from the ELF symbols, so maps can be matched with relocations; `.values` slots are filled
 * from `.rel.maps`.
 */
export function collectBtfMaps(ctx: ObjectContext, strict = true): MapSpec[] {
  if (ctx.mapsIndex === 0) return [];
  const section = ctx.elf.section(ctx.mapsIndex);
  const where = { fileName: ctx.fileName, section: section.name };
  const btf = ctx.btf;
  if (btf === undefined) throw new ObjectSpecError("'.maps' needs the object's BTF, but there is no '.BTF' section", where);
  const datasecId = btf.findByName(section.name, 'DATASEC')[0];
  if (datasecId === undefined) throw new ObjectSpecError("no DATASEC '.maps' in the object's BTF", where);
  const datasec = btf.typeById(datasecId) as BtfDatasec;
  const symbols = new Map<string, ElfSymbol>();
  for (const s of ctx.elf.symbols) if (s.shndx === section.index && s.type === SymbolType.OBJECT) symbols.set(s.name, s);

  const parsed: { name: string; def: BtfMapDef; offset: number; size: number; varId: number }[] = [];
  for (const vsi of datasec.vars) {
    const v = btf.typeById(vsi.type);
    if (v.kind !== 'VAR') throw new ObjectSpecError(`'.maps' DATASEC entry [${vsi.type}] is ${v.kind}, not VAR`, where);
    const sym = symbols.get(v.name);
    const offset = sym === undefined ? vsi.offset : Number(sym.value);
    const size = sym === undefined ? vsi.size : Number(sym.size);
    if (offset + size > section.size) {
      throw new ObjectSpecError(`map '${v.name}' (${size} bytes at ${offset}) lies outside '.maps' (${section.size} bytes)`, { ...where, offset, symbol: v.name });
    }
    const def = parseBtfMapDef(btf, v.name, v.type, strict, { ...where, offset });
    parsed.push({ name: v.name, def, offset, size, varId: v.id });
  }
  const slots = collectMapSlots(ctx, parsed);
  return parsed.map((p) =>
    mapSpecFromDef(p.name, p.def, { sectionName: section.name, sectionIndex: section.index, sectionOffset: p.offset, btfVarId: p.varId }, slots.get(p.name)),
  );
}

/**
 * `.rel.maps`: each `R_BPF_64_ABS64` inside a map's `values` array names the program (prog
 * array) or map (map-in-map) for one slot.
 */
function collectMapSlots(ctx: ObjectContext, maps: readonly { name: string; def: BtfMapDef; offset: number; size: number }[]): Map<string, MapSlot[]> {
  const result = new Map<string, MapSlot[]>();
  const rel = ctx.relocationSections.get(ctx.mapsIndex);
  if (rel === undefined) return result;
  const where = { fileName: ctx.fileName, section: rel.name };
  for (const r of ctx.elf.relocations(rel)) {
    const offset = Number(r.offset);
    // parseElf has checked every relocation's symbol index against the symbol table.
    const sym = ctx.elf.symbols[r.symbol] as ElfSymbol;
    const symName = sym.name;
    const map = maps.find((m) => offset >= m.offset && offset < m.offset + m.size);
    if (map === undefined) throw new ObjectSpecError(`relocation against '${symName}' is not inside any map definition`, { ...where, offset, symbol: symName });
    const at = { ...where, offset, symbol: map.name };
    const valuesOffset = map.def.valuesOffset;
    if (valuesOffset === undefined) throw new ObjectSpecError(`map '${map.name}': relocation against '${symName}' outside a 'values' member`, at);
    const moff = offset - map.offset - valuesOffset;
    if (moff < 0) throw new ObjectSpecError(`map '${map.name}': relocation against '${symName}' outside a 'values' member`, at);
    if (moff % POINTER_SIZE !== 0) throw new ObjectSpecError(`map '${map.name}': misaligned 'values' slot relocation`, at);
    const isProgArray = map.def.type === MapType.PROG_ARRAY;
    if (isProgArray && (sym.type !== SymbolType.FUNC || sym.shndx === ctx.textIndex)) {
      throw new ObjectSpecError(`map '${map.name}': prog array slot names '${sym.name}', which isn't an entry-point program`, at);
    }
    if (!isProgArray && (sym.shndx !== ctx.mapsIndex || !maps.some((m) => m.name === sym.name))) {
      throw new ObjectSpecError(`map '${map.name}': map-in-map slot names '${sym.name}', which isn't a BTF-defined map`, at);
    }
    if (map.def.type === MapType.HASH_OF_MAPS && map.def.keySize !== 4) {
      throw new ObjectSpecError(`map '${map.name}': hash-of-maps with initial values must have 4-byte keys, not ${map.def.keySize ?? 0}`, at);
    }
    const index = moff / POINTER_SIZE;
    if (map.def.maxEntries !== undefined && index >= map.def.maxEntries) {
      throw new ObjectSpecError(`map '${map.name}': slot ${index} is beyond max_entries ${map.def.maxEntries}`, at);
    }
    const list = result.get(map.name) ?? [];
    list.push({ index, kind: isProgArray ? 'program' : 'map', target: sym.name });
    result.set(map.name, list);
  }
  for (const list of result.values()) list.sort((a, b) => a.index - b.index);
  return result;
}

/**
 * Legacy `SEC("maps") struct bpf_map_def` maps: the section is split evenly between its
 * symbols (as libbpf < 1.0 did) and each part starts with the five u32s of `struct bpf_map_def`;
 * longer definitions (iproute2's `id`, `pinning`, ...) must have zeroed extra bytes unless we
 * know them.
 */
export function collectLegacyMaps(ctx: ObjectContext): MapSpec[] {
  if (ctx.legacyMapsIndex === 0) return [];
  const section = ctx.elf.section(ctx.legacyMapsIndex);
  const where = { fileName: ctx.fileName, section: section.name };
  const syms = ctx.elf.symbols
    .filter((s) => s.shndx === section.index && (s.type === SymbolType.OBJECT || s.type === SymbolType.NOTYPE) && s.name !== '')
    .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  if (syms.length === 0) return [];
  const data = section.data();
  if (data.length % syms.length !== 0) {
    throw new ObjectSpecError(`${data.length} bytes cannot be split evenly between ${syms.length} map definitions`, where);
  }
  const defSize = data.length / syms.length;
  if (defSize < LEGACY_MAP_DEF_SIZE) {
    throw new ObjectSpecError(`map definitions are ${defSize} bytes, smaller than struct bpf_map_def (${LEGACY_MAP_DEF_SIZE})`, where);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  const little = ctx.elf.endianness === 'little';
  return syms.map((sym) => {
    const offset = Number(sym.value);
    if (offset % defSize !== 0 || offset + defSize > data.length) {
      throw new ObjectSpecError(`map '${sym.name}' at ${offset} does not start a ${defSize}-byte definition`, { ...where, offset, symbol: sym.name });
    }
    const u32 = (i: number): number => view.getUint32(offset + i * 4, little);
    for (let b = offset + LEGACY_MAP_DEF_SIZE; b < offset + defSize; b++) {
      if (data[b] !== 0) {
        throw new ObjectSpecError(`map '${sym.name}': unsupported non-zero bytes after struct bpf_map_def`, { ...where, offset: b, symbol: sym.name });
      }
    }
    return new MapSpec({
      name: sym.name,
      source: 'legacy',
      sectionName: section.name,
      sectionIndex: section.index,
      sectionOffset: offset,
      type: u32(0),
      keySize: u32(1),
      valueSize: u32(2),
      maxEntries: u32(3),
      flags: u32(4),
      numaNode: 0,
      pinning: PinType.NONE,
      mapExtra: 0n,
      btfKeyTypeId: 0,
      btfValueTypeId: 0,
      btfVarId: 0,
      innerMap: undefined,
      values: [],
      data: undefined,
    });
  });
}
