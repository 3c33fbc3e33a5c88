/**
 * libbpf's `bpf_object__collect_externs()`: undefined global symbols, typed through the object's
 * BTF, split into `.kconfig` values (laid out into the `.kconfig` internal map), `.ksyms` kernel
 * variables and `.ksyms` kernel functions (kfuncs). Resolution against the running kernel
 * happens at load.
 */
import type { Btf } from '../btf/btf.js';
import { BtfIntEncoding, BtfLinkage } from '../btf/types.js';
import { SectionIndex, SymbolBinding, SymbolType } from '../elf/constants.js';
import type { ElfSymbol } from '../elf/model.js';
import { SpecialSection, type ObjectContext } from './collect-elf.js';
import { datasecId, internalMapName } from './collect-globals.js';
import { DataSection } from './data-section.js';
import { ObjectSpecError } from './errors.js';

/** How a `.kconfig` extern is parsed from the kernel config (libbpf's `enum kcfg_type`). */
export type KconfigType = 'bool' | 'char' | 'tristate' | 'int' | 'char_array';

/** Layout of one `.kconfig` extern inside the `.kconfig` map. */
export interface KconfigLayout {
  readonly type: KconfigType;
  readonly size: number;
  readonly align: number;
  readonly signed: boolean;
  /** Byte offset in the `.kconfig` map value. */
  readonly offset: number;
}

/** One extern the object needs from the kernel. */
export interface ExternSpec {
  /** The name in BTF and the symbol table (may carry a `___flavor` suffix). */
  readonly name: string;
  /** The name without a `___flavor` suffix: what is looked up in the kernel. */
  readonly essentialName: string;
  readonly kind: 'kconfig' | 'ksym' | 'kfunc';
  /** Declared `__weak`: a missing kernel symbol resolves to 0 instead of failing the load. */
  readonly weak: boolean;
  readonly symbolIndex: number;
  /** BTF id of the VAR (kconfig, ksym) or FUNC (kfunc) in the object's BTF. */
  readonly btfId: number;
  /**
   * The declared type after modifiers and typedefs: for a ksym, 0 means untyped
   * (`extern const void x __ksym`, resolved through kallsyms); for a kfunc, its FUNC_PROTO.
   */
  readonly typeId: number;
  /** For `kconfig` externs. */
  readonly kconfig: KconfigLayout | undefined;
}

/** Externs plus the `.kconfig` area they need (undefined when there are no kconfig externs). */
export interface CollectedExterns {
  readonly externs: ExternSpec[];
  readonly kconfig: DataSection | undefined;
}

/** libbpf's `sym_is_extern()`: undefined, global or weak, no type. */
function isExternSymbol(s: ElfSymbol): boolean {
  return s.shndx === SectionIndex.UNDEF && (s.bind === SymbolBinding.GLOBAL || s.bind === SymbolBinding.WEAK) && s.type === SymbolType.NOTYPE;
}

/** libbpf's `bpf_core_essential_name_len()`: the name up to its last `___`. */
export function essentialName(name: string): string {
  const at = name.lastIndexOf('___');
  return at > 0 ? name.slice(0, at) : name;
}

/** libbpf's `find_kcfg_type()`. */
function kconfigType(btf: Btf, id: number, depth = 0): { type: KconfigType; signed: boolean } | undefined {
  // An array of arrays of ... is no kconfig type; an array of itself (hostile BTF) would recurse forever.
  if (depth > 1) return undefined;
  const t = btf.typeById(btf.resolveType(id));
  switch (t.kind) {
    case 'INT':
      if ((t.encoding & BtfIntEncoding.BOOL) !== 0) return t.size === 1 ? { type: 'bool', signed: false } : undefined;
      if (t.size === 1) return { type: 'char', signed: (t.encoding & BtfIntEncoding.SIGNED) !== 0 };
      if (t.size < 1 || t.size > 8 || (t.size & (t.size - 1)) !== 0) return undefined;
      return { type: 'int', signed: (t.encoding & BtfIntEncoding.SIGNED) !== 0 };
    case 'ENUM':
      return t.size === 4 && t.name === 'libbpf_tristate' ? { type: 'tristate', signed: false } : undefined;
    case 'ENUM64':
      return t.name === 'libbpf_tristate' ? { type: 'tristate', signed: false } : undefined;
    case 'ARRAY':
      if (t.nelems === 0) return undefined;
      return kconfigType(btf, t.type, depth + 1)?.type === 'char' ? { type: 'char_array', signed: false } : undefined;
    default:
      return undefined;
  }
}

interface Draft {
  name: string;
  kind: 'kconfig' | 'ksym' | 'kfunc';
  weak: boolean;
  symbolIndex: number;
  btfId: number;
  typeId: number;
  kc?: { type: KconfigType; signed: boolean; size: number; align: number };
}

/**
 * Collects externs. Throws `ObjectSpecError` for an extern without BTF, one whose BTF is not
 * `extern`, one outside `.kconfig`/`.ksyms`, a function in `.kconfig`, or a `.kconfig` type
 * libbpf cannot fill from a kernel config.
 */
export function collectExterns(ctx: ObjectContext): CollectedExterns {
  const syms = ctx.elf.symbols.filter((s) => isExternSymbol(s) && s.name !== '');
  if (syms.length === 0) return { externs: [], kconfig: undefined };
  const btf = ctx.btf;
  const drafts: Draft[] = [];
  for (const sym of syms) {
    const where = { fileName: ctx.fileName, symbol: sym.name };
    if (btf === undefined) throw new ObjectSpecError(`extern '${sym.name}' needs the object's BTF, but there is no '.BTF' section`, where);
    const btfId = findExternBtfId(btf, sym.name, where);
    const secName = externSectionName(btf, btfId);
    if (secName === undefined) throw new ObjectSpecError(`extern '${sym.name}' is in no BTF DATASEC`, where);
    const t = btf.typeById(btfId);
    const base = { name: sym.name, weak: sym.bind === SymbolBinding.WEAK, symbolIndex: sym.index, btfId };
    if (secName === SpecialSection.KCONFIG) {
      if (t.kind !== 'VAR') throw new ObjectSpecError(`extern function '${sym.name}' is not supported in '.kconfig'`, where);
      const kc = kconfigType(btf, t.type);
      if (kc === undefined) throw new ObjectSpecError(`extern (kconfig) '${sym.name}': type [${t.type}] is not supported`, where);
      drafts.push({ ...base, kind: 'kconfig', typeId: t.type, kc: { ...kc, size: btf.sizeOf(t.type), align: btf.alignOf(t.type) } });
    } else if (secName === SpecialSection.KSYMS) {
      if (t.kind === 'FUNC') drafts.push({ ...base, kind: 'kfunc', typeId: t.type });
      else if (t.kind === 'VAR') drafts.push({ ...base, kind: 'ksym', typeId: btf.resolveType(t.type) });
    } else {
      throw new ObjectSpecError(`extern '${sym.name}' is in unrecognized section '${secName}'`, where);
    }
  }
  // libbpf's cmp_externs(): kconfig first, by descending alignment, ascending size, then name.
  const order = { kconfig: 0, ksym: 1, kfunc: 1 } as const;
  drafts.sort((a, b) => {
    if (order[a.kind] !== order[b.kind]) return order[a.kind] - order[b.kind];
    if (a.kc !== undefined && b.kc !== undefined) {
      if (a.kc.align !== b.kc.align) return b.kc.align - a.kc.align;
      if (a.kc.size !== b.kc.size) return a.kc.size - b.kc.size;
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  let off = 0;
  const externs = drafts.map((d): ExternSpec => {
    let kconfig: KconfigLayout | undefined;
    if (d.kc !== undefined) {
      const offset = Math.ceil(off / d.kc.align) * d.kc.align;
      off = offset + d.kc.size;
      kconfig = { type: d.kc.type, size: d.kc.size, align: d.kc.align, signed: d.kc.signed, offset };
    }
    return { name: d.name, essentialName: essentialName(d.name), kind: d.kind, weak: d.weak, symbolIndex: d.symbolIndex, btfId: d.btfId, typeId: d.typeId, kconfig };
  });
  const kconfigExterns = externs.filter((e) => e.kconfig !== undefined);
  let kconfig: DataSection | undefined;
  if (kconfigExterns.length > 0) {
    kconfig = new DataSection({
      name: SpecialSection.KCONFIG,
      mapName: internalMapName(ctx.objectName, SpecialSection.KCONFIG),
      kind: 'kconfig',
      sectionIndex: -1,
      bytes: new Uint8Array(off),
      btfTypeId: datasecId(btf, SpecialSection.KCONFIG),
      endianness: ctx.elf.endianness,
    });
    for (const e of kconfigExterns) {
      const layout = e.kconfig as KconfigLayout;
      const valueKind = layout.type === 'bool' ? 'bool' : layout.type === 'int' || layout.type === 'char' ? 'int' : layout.type === 'tristate' ? 'enum' : 'other';
      kconfig.addVariable({ name: e.name, offset: layout.offset, size: layout.size, isStatic: false, btfVarId: e.btfId, btfTypeId: e.typeId, valueKind, signed: layout.signed });
    }
  }
  return { externs, kconfig };
}

/** libbpf's `find_extern_btf_id()`: the VAR or FUNC of that name with extern linkage. */
function findExternBtfId(btf: Btf, name: string, where: { fileName: string | undefined; symbol: string }): number {
  const ids = [...btf.findByName(name, 'VAR'), ...btf.findByName(name, 'FUNC')].sort((a, b) => a - b);
  const id = ids.find((i) => {
    const t = btf.typeById(i);
    return (t.kind === 'VAR' || t.kind === 'FUNC') && t.linkage === BtfLinkage.EXTERN;
  });
  if (id === undefined) throw new ObjectSpecError(`failed to find extern BTF VAR or FUNC for extern '${name}'`, where);
  return id;
}

/** The name of the DATASEC listing BTF type `id` (libbpf's `find_extern_sec_btf_id()`). */
function externSectionName(btf: Btf, id: number): string | undefined {
  for (const secName of [SpecialSection.KCONFIG, SpecialSection.KSYMS]) {
    for (const secId of btf.findByName(secName, 'DATASEC')) {
      const sec = btf.typeById(secId);
      if (sec.kind === 'DATASEC' && sec.vars.some((v) => v.type === id)) return secName;
    }
  }
  for (const t of btf.types()) {
    if (t.kind === 'DATASEC' && t.vars.some((v) => v.type === id)) return t.name;
  }
  return undefined;
}
