/**
 * Identifier spelling for generated skeletons: C names to TypeScript type names, ELF section names
 * to accessor names, object names to class names.
 */

/** `ma_inner` -> `MaInner`, `__sk_buff` -> `SkBuff`, `event` -> `Event`; never empty, never a leading digit. */
export function tsTypeName(cName: string): string {
  const words = cName.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  const joined = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  if (joined === '') return 'Anon';
  return /^\d/.test(joined) ? `T${joined}` : joined;
}

/**
 * libbpf's skeleton accessor name of a data section: `.rodata` -> `rodata`, `.data.custom` ->
 * `data_custom`, `.rodata.str1.1` -> `rodata_str1_1` (bpftool's `get_map_ident()` rule: the
 * leading dot dropped, other non-identifier characters replaced by `_`).
 */
export function sectionAccessorName(sectionName: string): string {
  const s = sectionName.replace(/^\./, '').replace(/[^A-Za-z0-9_]/g, '_');
  return /^\d/.test(s) ? `_${s}` : s;
}

/** A JS identifier for a map/program name (`my-map` -> `my_map`). */
export function identifier(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_$]/g, '_');
  return s === '' || /^\d/.test(s) ? `_${s}` : s;
}
