import type { Btf } from './btf.js';
import { BtfError } from './errors.js';
import { BtfLinkage, type BtfDatasec, type BtfType, type BtfVar, type BtfVarSecinfo } from './types.js';

/** ELF facts `fixupDatasecs` needs, supplied by the caller (the loader reads them from `src/elf`). */
export interface DatasecElfInfo {
  /** `sh_size` of the ELF section with this name, or `undefined` when there is none. */
  sectionSize(name: string): number | undefined;
  /**
   * The `STT_OBJECT` symbol with `STB_GLOBAL`/`STB_WEAK` binding and this name
   * (`find_elf_var_sym` in libbpf): its `st_value` and `ELF64_ST_VISIBILITY(st_other)`.
   */
  variableSymbol(name: string): { readonly value: number; readonly visibility: number } | undefined;
}

/** `STV_INTERNAL` and `STV_HIDDEN` from `elf.h`: visibilities that make a global VAR static. */
const STV_INTERNAL = 1;
const STV_HIDDEN = 2;

/** Extern-backing sections whose sizes/offsets libbpf sets itself (`KCONFIG_SEC`, `KSYMS_SEC`). */
const EXTERN_SECTIONS: ReadonlySet<string> = new Set(['.kconfig', '.ksyms']);

/**
 * libbpf's `bpf_object_fixup_btf` / `btf_fixup_datasec`, pure: clang leaves DATASEC sizes and
 * VAR offsets at 0, so a DATASEC of size 0 takes its ELF section's size and each global VAR's
 * offset becomes its symbol's value; a global VAR whose symbol is `STV_HIDDEN`/`STV_INTERNAL`
 * becomes `static` (which later decides whether a global-data map is mmapable); and every
 * DATASEC's secinfos are sorted by offset (stably). Static and extern VARs are left as they are,
 * and `.kconfig`/`.ksyms` are only sorted. Returns the blob's own types with the changed ones
 * replaced (new objects; the input is not modified).
 *
 * @example
 * ```ts
 * const types = fixupDatasecs(btf, {
 *   sectionSize: (n) => elf.sectionByName(n)?.size,
 *   variableSymbol: (n) => { const s = globalObjects.get(n); return s && { value: Number(s.value), visibility: s.visibility }; },
 * });
 * ```
 */
export function fixupDatasecs(btf: Btf, elf: DatasecElfInfo): BtfType[] {
  const types = [...btf.types()];
  const at = (id: number): BtfType => (id >= btf.firstId ? (types[id - btf.firstId] as BtfType) : btf.typeById(id));
  for (let i = 0; i < types.length; i++) {
    const t = types[i] as BtfType;
    if (t.kind !== 'DATASEC') continue;
    types[i] = fixupDatasec(t, elf, (id) => at(id), (v) => {
      types[v.id - btf.firstId] = v;
    });
  }
  return types;
}

/**
 * {@link fixupDatasecs} as edits: the types it changes (DATASECs, VARs made static), by id.
 * Only DATASECs and the VARs they list are inflated, which is what the loader needs: it copies
 * every other record of the object's BTF as it is (see `encodeBtfEdits`).
 *
 * @example
 * ```ts
 * const changed = fixupDatasecEdits(btf, elfInfo);
 * const types = [...btf.types()].map((t) => changed.get(t.id) ?? t); // = fixupDatasecs(btf, elfInfo)
 * ```
 */
export function fixupDatasecEdits(btf: Btf, elf: DatasecElfInfo): Map<number, BtfType> {
  const changed = new Map<number, BtfType>();
  const at = (id: number): BtfType => changed.get(id) ?? btf.typeById(id);
  for (let id = btf.firstId; id < btf.typeCount; id++) {
    if (btf.kindOf(id) !== 'DATASEC') continue;
    const t = btf.typeById(id);
    if (t.kind !== 'DATASEC') continue;
    changed.set(id, fixupDatasec(t, elf, at, (v) => changed.set(v.id, v)));
  }
  return changed;
}

function fixupDatasec(t: BtfDatasec, elf: DatasecElfInfo, typeAt: (id: number) => BtfType, replaceVar: (v: BtfVar) => void): BtfDatasec {
  const byOffset = (vars: readonly BtfVarSecinfo[]): BtfVarSecinfo[] => [...vars].sort((a, b) => a.offset - b.offset);
  if (EXTERN_SECTIONS.has(t.name)) return { ...t, vars: byOffset(t.vars) };
  let size = t.size;
  const fixupOffsets = size === 0;
  if (fixupOffsets) {
    const elfSize = elf.sectionSize(t.name);
    if (elfSize === undefined || elfSize === 0) {
      throw new BtfError(`DATASEC '${t.name}': failed to determine size from ELF (size ${elfSize ?? 'unknown'})`, { typeId: t.id });
    }
    size = elfSize;
  }
  const vars = t.vars.map((vsi, i): BtfVarSecinfo => {
    let v: BtfType;
    try {
      v = typeAt(vsi.type);
    } catch (e) {
      throw new BtfError(`DATASEC '${t.name}': secinfo ${i} references missing type ${vsi.type}`, { typeId: t.id }, { cause: e });
    }
    if (v.kind !== 'VAR') throw new BtfError(`DATASEC '${t.name}': unexpected non-VAR type ${v.kind} at secinfo ${i}`, { typeId: t.id });
    if (v.linkage === BtfLinkage.STATIC || v.linkage === BtfLinkage.EXTERN) return vsi;
    const sym = elf.variableSymbol(v.name);
    if (sym === undefined) throw new BtfError(`DATASEC '${t.name}': failed to find ELF symbol for VAR '${v.name}'`, { typeId: t.id });
    if (sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL) replaceVar({ ...v, linkage: BtfLinkage.STATIC });
    return fixupOffsets ? { ...vsi, offset: sym.value } : vsi;
  });
  return { ...t, size, vars: byOffset(vars) };
}
