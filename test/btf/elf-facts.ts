import { readFileSync } from 'node:fs';
import { fixupDatasecs, parseBtf, type BtfType, type DatasecElfInfo } from '../../src/btf/index.js';
import { parseElf, SymbolBinding, SymbolType } from '../../src/elf/index.js';
import { btfSectionOf, KINDS_OBJ } from './tools.js';

/** `DatasecElfInfo` from an object file, the way the loader builds it from `src/elf`. */
export function datasecFactsOf(path: string): DatasecElfInfo {
  const elf = parseElf(readFileSync(path), { machines: 'any' });
  return {
    sectionSize: (name) => elf.sectionByName(name)?.size,
    variableSymbol: (name) => {
      const s = elf.symbols.find(
        (sym) => sym.name === name && sym.type === SymbolType.OBJECT && (sym.bind === SymbolBinding.GLOBAL || sym.bind === SymbolBinding.WEAK),
      );
      return s === undefined ? undefined : { value: Number(s.value), visibility: s.visibility };
    },
  };
}

/** Program BTF as the loader would hand it to the kernel: DATASECs fixed up, externs resolved. */
export function loadableKindsTypes(): BtfType[] {
  const btf = parseBtf(btfSectionOf(KINDS_OBJ));
  // The loader moves extern VARs into .ksyms/.kconfig and makes them global; the kernel
  // rejects BTF_VAR_GLOBAL_EXTERN, so do the same here for the one extern of the corpus.
  return fixupDatasecs(btf, datasecFactsOf(KINDS_OBJ)).map((t) => (t.kind === 'VAR' && t.linkage === 2 ? { ...t, linkage: 1 } : t));
}

