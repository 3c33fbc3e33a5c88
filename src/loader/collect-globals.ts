/**
 * libbpf's `bpf_object__init_global_data_maps()`: each `.data*`, `.rodata*` and `.bss*` section
 * becomes a one-element array map whose value is the section, and its symbols become variables.
 */
import type { Btf } from '../btf/btf.js';
import { BtfLinkage } from '../btf/types.js';
import { SymbolBinding, SymbolType, SymbolVisibility } from '../elf/constants.js';
import { MapType } from '../sys/uapi.js';
import type { ObjectContext } from './collect-elf.js';
import { classifyVariableType, DataSection, type DataSectionKind } from './data-section.js';
import { ObjectSpecError } from './errors.js';
import { MapSpec, PinType } from './map-spec.js';

/** Kernel limit on object names (`BPF_OBJ_NAME_LEN` including the NUL). */
const BPF_OBJ_NAME_LEN = 16;
/** `BPF_F_RDONLY_PROG` and `BPF_F_MMAPABLE` map flags. */
const BPF_F_RDONLY_PROG = 1 << 7;
const BPF_F_MMAPABLE = 1 << 10;

/**
 * libbpf's `internal_map_name()`: `.data`, `.rodata`, `.bss` and `.kconfig` get as much of the
 * object name as fits in 15 characters in front (`globals.rodata`, `my_obje.kconfig`); custom
 * `.data.x`/`.rodata.x` sections keep their own name, truncated to 15 characters. Characters the
 * kernel refuses become `_`.
 */
export function internalMapName(objectName: string, sectionName: string): string {
  const sfxLen = Math.min(Math.max(7, sectionName.length), BPF_OBJ_NAME_LEN - 1);
  const custom = sectionName.indexOf('.', 1) >= 0;
  const pfxLen = custom ? 0 : Math.min(BPF_OBJ_NAME_LEN - sfxLen - 1, objectName.length);
  const raw = objectName.slice(0, pfxLen) + sectionName.slice(0, sfxLen);
  return raw.replace(/[^A-Za-z0-9_.]/g, '_');
}

/** The internal map's attributes (libbpf's `bpf_object__init_internal_map()`). */
export function internalMapSpec(data: DataSection): MapSpec {
  let flags = data.readonly ? BPF_F_RDONLY_PROG : 0;
  if (hasExposedVariable(data)) flags |= BPF_F_MMAPABLE;
  return new MapSpec({
    name: data.mapName,
    source: 'internal',
    sectionName: data.name,
    sectionIndex: data.sectionIndex,
    sectionOffset: 0,
    type: MapType.ARRAY,
    keySize: 4,
    valueSize: data.bytes.length,
    maxEntries: 1,
    flags,
    numaNode: 0,
    pinning: PinType.NONE,
    mapExtra: 0n,
    btfKeyTypeId: 0,
    btfValueTypeId: data.btfTypeId,
    btfVarId: 0,
    innerMap: undefined,
    values: [],
    data,
  });
}

/**
 * libbpf's `map_is_mmapable()`: a data map is mmap-able (skeleton-visible) when its DATASEC has
 * at least one VAR that is neither static nor hidden (libbpf's DATASEC fix-up turns hidden
 * globals static). `isStatic` of our variables already folds in linkage and visibility.
 */
function hasExposedVariable(data: DataSection): boolean {
  return data.btfTypeId !== 0 && data.variables.some((v) => v.btfVarId !== 0 && !v.isStatic);
}

/** The DATASEC of `name` in the object's BTF, or 0. */
export function datasecId(btf: Btf | undefined, name: string): number {
  return btf?.findByName(name, 'DATASEC')[0] ?? 0;
}

/**
 * The verifier's `BPF_MAX_VAR_OFF` (1 << 29): no program can reach a map value byte past it, so
 * a larger global data section is a corrupt header, not a big array. Checked before the bytes
 * are allocated (a `.bss` takes no room in the file, so its size alone could ask for terabytes).
 */
export const MAX_DATA_SECTION_SIZE = 1 << 29;

/** Global data sections with their variables, in section index order. */
export function collectGlobalData(ctx: ObjectContext): DataSection[] {
  const result: DataSection[] = [];
  for (const { section, kind } of ctx.dataSections) {
    if (section.size > MAX_DATA_SECTION_SIZE) {
      throw new ObjectSpecError(`global data section is ${section.size} bytes, more than a program can address (${MAX_DATA_SECTION_SIZE})`, {
        fileName: ctx.fileName,
        section: section.name,
      });
    }
    const bytes = kind === 'bss' ? new Uint8Array(section.size) : new Uint8Array(section.data()); // a copy: the file buffer stays untouched
    const secId = datasecId(ctx.btf, section.name);
    const data = new DataSection({
      name: section.name,
      mapName: internalMapName(ctx.objectName, section.name),
      kind: kind satisfies DataSectionKind,
      sectionIndex: section.index,
      bytes,
      btfTypeId: secId,
      endianness: ctx.elf.endianness,
    });
    const btfVars = new Map<string, { varId: number; typeId: number; linkage: number }>();
    if (ctx.btf !== undefined && secId !== 0) {
      const sec = ctx.btf.typeById(secId);
      if (sec.kind === 'DATASEC') {
        for (const vsi of sec.vars) {
          const v = ctx.btf.typeById(vsi.type);
          if (v.kind === 'VAR') btfVars.set(v.name, { varId: v.id, typeId: v.type, linkage: v.linkage });
        }
      }
    }
    const syms = ctx.elf.symbols.filter((s) => s.shndx === section.index && s.type === SymbolType.OBJECT && s.name !== '');
    for (const sym of syms) {
      const info = btfVars.get(sym.name);
      const size = Number(sym.size);
      const offset = Number(sym.value);
      if (offset + size > bytes.length) {
        throw new ObjectSpecError(`variable '${sym.name}' (${size} bytes at ${offset}) lies outside the section (${bytes.length} bytes)`, {
          fileName: ctx.fileName,
          section: section.name,
          offset,
          symbol: sym.name,
        });
      }
      const hidden = sym.visibility === SymbolVisibility.HIDDEN || sym.visibility === SymbolVisibility.INTERNAL;
      data.addVariable({
        name: sym.name,
        offset,
        size,
        isStatic: sym.bind === SymbolBinding.LOCAL || hidden || info?.linkage === BtfLinkage.STATIC,
        btfVarId: info?.varId ?? 0,
        btfTypeId: info?.typeId ?? 0,
        ...classifyVariableType(ctx.btf, info?.typeId ?? 0, size),
      });
    }
    result.push(data);
  }
  return result;
}
