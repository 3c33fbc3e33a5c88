/**
 * libbpf's `bpf_object__sanitize_and_load_btf()`: the object's BTF with DATASEC sizes and VAR
 * offsets fixed up (`btf_fixup_datasec`, from the data sections the spec holds), loaded into the
 * kernel; sanitized for kinds an older kernel lacks; dropped (with func/line info) when the
 * kernel refuses it anyway, as libbpf does for objects that do not strictly need BTF.
 */
import type { Btf } from '../btf/btf.js';
import { fixupDatasecEdits } from '../btf/datasec-fixup.js';
import { encodeBtf, encodeBtfEdits, type BtfEdits } from '../btf/encode.js';
import { ALL_BTF_FEATURES, sanitizeBtf, type BtfFeatures } from '../btf/sanitize.js';
import { BtfStringTable } from '../btf/string-table.js';
import { BtfLinkage, type BtfType } from '../btf/types.js';
import { tryBtfLoad } from '../sys/btf-load.js';
import { OwnedFd } from '../sys/fd.js';
import type { ObjectSpec } from './object-spec.js';

/** {@link BtfEdits} as the fix-ups build them up. */
export interface ProgramBtfEdits extends BtfEdits {
  readonly changed: Map<number, BtfType>;
  readonly appended: BtfType[];
}

/** `STV_HIDDEN`: how a spec variable marked static but global in BTF is reported to the fix-up. */
const STV_HIDDEN = 2;

/** The object's BTF as the kernel will see it, and the string table line info offsets come from. */
export interface ProgramBtf {
  readonly types: readonly BtfType[];
  readonly strings: BtfStringTable;
  readonly bytes: Uint8Array;
}

/**
 * The object's BTF after libbpf's DATASEC fix-up: each DATASEC of size 0 gets its section's size
 * and its global VARs their symbol offsets. The spec keeps no ELF, so sizes and offsets come from
 * what it does keep: data sections and their variables, and map definitions (`.maps`,
 * `.struct_ops`) with their section offsets. Any other section (`license`, ...) is laid out from
 * its VARs' BTF sizes and alignments in DATASEC order, which is how clang emits it.
 */
export function fixupProgramBtf(spec: ObjectSpec, btf: Btf): BtfType[] {
  return applyEdits(btf, programBtfEdits(spec, btf));
}

/** `source`'s own types with the edits applied, then the appended ones. */
function applyEdits(source: Btf, edits: BtfEdits): BtfType[] {
  const out: BtfType[] = [];
  for (let id = source.firstId; id < source.typeCount; id++) out.push(edits.changed.get(id) ?? source.typeById(id));
  for (let i = 0; i < edits.appended.length; i++) out.push(edits.appended[i] as BtfType);
  return out;
}

/**
 * What {@link fixupProgramBtf} changes, as edits of the parsed BTF: only the types it touches
 * are inflated (DATASECs, their VARs, `.ksyms` FUNCs and protos, hidden FUNCs, 32-bit INTs).
 */
export function programBtfEdits(spec: ObjectSpec, btf: Btf): ProgramBtfEdits {
  const sizes = new Map<string, number>();
  const symbols = new Map<string, { value: number; visibility: number }>();
  for (const d of spec.dataSections) {
    sizes.set(d.name, d.bytes.length);
    for (const v of d.variables) {
      if (!symbols.has(v.name)) symbols.set(v.name, { value: v.offset, visibility: v.isStatic ? STV_HIDDEN : 0 });
    }
  }
  for (const m of spec.maps) {
    if (m.source === 'internal' || m.source === 'legacy' || m.btfVarId === 0) continue;
    const v = btf.typeById(m.btfVarId);
    if (v.kind !== 'VAR') continue;
    const end = m.sectionOffset + btf.sizeOf(v.type);
    sizes.set(m.sectionName, Math.max(sizes.get(m.sectionName) ?? 0, end));
    if (!symbols.has(v.name)) symbols.set(v.name, { value: m.sectionOffset, visibility: 0 });
  }
  for (let id = btf.firstId; id < btf.typeCount; id++) {
    if (btf.kindOf(id) !== 'DATASEC') continue;
    const t = btf.typeById(id);
    if (t.kind !== 'DATASEC' || t.size !== 0 || sizes.has(t.name)) continue;
    let off = 0;
    for (const vsi of t.vars) {
      const v = btf.typeById(vsi.type);
      if (v.kind !== 'VAR') continue;
      // A typeless ksym (`extern const void x __ksym`) has no size: it becomes an int, as
      // finalizeExternBtf (libbpf) makes every .ksyms variable later.
      const typeless = btf.resolveType(v.type) === 0;
      const align = typeless ? 4 : Math.max(1, btf.alignOf(v.type));
      off = Math.ceil(off / align) * align;
      if (!symbols.has(v.name)) symbols.set(v.name, { value: off, visibility: 0 });
      off += typeless ? 4 : btf.sizeOf(v.type);
    }
    if (off > 0) sizes.set(t.name, off);
  }
  const changed = fixupDatasecEdits(btf, {
    sectionSize: (name) => sizes.get(name),
    variableSymbol: (name) => symbols.get(name),
  });
  const edits: ProgramBtfEdits = { changed, appended: [] };
  finalizeExternBtf(btf, edits, spec);
  markHiddenFuncsStatic(btf, edits, spec);
  return edits;
}

/** Own type `id` as edited so far (appended ones included), or undefined past the end. */
function editedType(btf: Btf, edits: ProgramBtfEdits, id: number): BtfType | undefined {
  if (id >= btf.typeCount) return edits.appended[id - btf.typeCount];
  if (id < btf.firstId) return undefined;
  return edits.changed.get(id) ?? btf.typeById(id);
}

function setEdited(btf: Btf, edits: ProgramBtfEdits, t: BtfType): void {
  if (t.id >= btf.typeCount) edits.appended[t.id - btf.typeCount] = t;
  else edits.changed.set(t.id, t);
}

/**
 * libbpf's `mark_btf_static` fix-up (`bpf_object__sanitize_and_load_btf`): the BTF FUNC of each
 * hidden global subprogram (`ProgramSpec.hidden`, e.g. `__hidden` helpers such as
 * `bpf_usdt_arg()`) becomes `BTF_FUNC_STATIC`. The verifier verifies a global function alone,
 * assuming nothing of its arguments (a pointer may be NULL); a static one is verified inline with
 * each caller's registers. Hidden functions cannot be called from outside the object, so the
 * stricter global check buys nothing, and code written for libbpf relies on the static one.
 * Entry programs keep their linkage, as in libbpf.
 */
export function markHiddenFuncsStatic(btf: Btf, edits: ProgramBtfEdits, spec: ObjectSpec): void {
  for (const p of spec.subprograms) {
    if (!p.hidden) continue;
    // By name, the first global FUNC, as libbpf: `btfFuncId` is the first FUNC of that name,
    // which in a linked object may be another file's static function.
    for (const id of btf.findByName(p.name, 'FUNC')) {
      const t = editedType(btf, edits, id);
      if (t?.kind !== 'FUNC' || t.linkage !== BtfLinkage.GLOBAL) continue;
      setEdited(btf, edits, { ...t, linkage: BtfLinkage.STATIC });
      break;
    }
  }
}

/** Name of the VAR libbpf adds to stand in for kfuncs in `.ksyms` (`add_dummy_ksym_var`). */
export const DUMMY_KSYM_NAME = 'dummy_ksym';

/**
 * What libbpf does to extern types at open (`bpf_object__collect_externs`), since the kernel
 * refuses `extern` linkage: `.kconfig` VARs become global with their layout offsets and the
 * section its size; in `.ksyms`, VARs become global `int`s, FUNCs become global and are replaced
 * in the DATASEC by an appended `dummy_ksym` VAR (their unnamed parameters get its name), each
 * slot 4 bytes.
 */
export function finalizeExternBtf(btf: Btf, edits: ProgramBtfEdits, spec: ObjectSpec): void {
  const at = (id: number): BtfType | undefined => editedType(btf, edits, id);
  const set = (t: BtfType): void => setEdited(btf, edits, t);
  const kconfig = new Map(spec.externs.filter((e) => e.kconfig !== undefined).map((e) => [e.btfId, e.kconfig as NonNullable<typeof e.kconfig>]));
  let dummyId = 0;
  for (let id = btf.firstId; id < btf.typeCount; id++) {
    if (btf.kindOf(id) !== 'DATASEC') continue;
    const t = at(id);
    if (t?.kind !== 'DATASEC') continue;
    if (t.name === '.kconfig') {
      const data = spec.dataSections.find((d) => d.kind === 'kconfig');
      const vars = t.vars.map((vsi) => {
        const v = at(vsi.type);
        if (v?.kind === 'VAR' && v.linkage === BtfLinkage.EXTERN) set({ ...v, linkage: BtfLinkage.GLOBAL });
        const layout = kconfig.get(vsi.type);
        return layout === undefined ? vsi : { ...vsi, offset: layout.offset, size: layout.size };
      });
      set({ ...t, size: data?.bytes.length ?? t.size, vars: [...vars].sort((a, b) => a.offset - b.offset) });
    } else if (t.name === '.ksyms') {
      let intId: number | undefined;
      for (let id = btf.firstId; id < btf.typeCount && intId === undefined; id++) {
        if (btf.kindOf(id) !== 'INT') continue;
        const x = at(id);
        if (x?.kind === 'INT' && x.bits === 32) intId = id;
      }
      if (intId === undefined) continue;
      let off = 0;
      const vars = t.vars.map((vsi) => {
        const v = at(vsi.type);
        let type = vsi.type;
        if (v?.kind === 'FUNC') {
          if (dummyId === 0) {
            dummyId = btf.typeCount + edits.appended.length;
            edits.appended.push({ kind: 'VAR', id: dummyId, name: DUMMY_KSYM_NAME, type: intId, linkage: BtfLinkage.GLOBAL });
          }
          const proto = at(v.type);
          if (proto?.kind === 'FUNC_PROTO') {
            set({ ...proto, params: proto.params.map((p) => (p.type !== 0 && p.name === '' ? { ...p, name: DUMMY_KSYM_NAME } : p)) });
          }
          set({ ...v, linkage: BtfLinkage.GLOBAL });
          type = dummyId;
        } else if (v?.kind === 'VAR') {
          set({ ...v, linkage: BtfLinkage.GLOBAL, type: intId });
        }
        const slot = { type, offset: off, size: 4 };
        off += 4;
        return slot;
      });
      set({ ...t, size: off, vars });
    }
  }
}

/** Encodes types with a table seeded from `btf`'s strings, so existing string offsets stay put. */
export function encodeProgramBtf(btf: Btf, types: readonly BtfType[]): ProgramBtf {
  const strings = BtfStringTable.from(btf.strings);
  return { types, strings, bytes: encodeBtf(types, strings, { source: btf }) };
}

/** {@link encodeProgramBtf} of `btf` with `edits` applied, inflating only the edited types. */
function encodeEditedBtf(btf: Btf, edits: BtfEdits): ProgramBtf {
  const strings = BtfStringTable.from(btf.strings);
  const bytes = encodeBtfEdits(btf, edits, strings);
  let types: BtfType[] | undefined;
  return {
    get types(): readonly BtfType[] {
      return (types ??= applyEdits(btf, edits));
    },
    strings,
    bytes,
  };
}

/** A loaded program BTF, or why there is none. */
export type LoadedBtf =
  | { readonly ok: true; readonly fd: OwnedFd; readonly btf: ProgramBtf; readonly sanitized: boolean }
  | { readonly ok: false; readonly reason: string };

/**
 * Loads the object's BTF: as is first (the fast path on current kernels), then sanitized for the
 * features `probeFeatures` reports (libbpf's `FEAT_BTF_*` probes). Failure is a value: the caller
 * continues without BTF, as libbpf does.
 *
 * @example
 * ```ts
 * const r = loadProgramBtf(spec, spec.btf!, probeBtfFeatures);
 * if (r.ok) console.log('BTF fd', r.fd.fd);
 * ```
 */
export function loadProgramBtf(spec: ObjectSpec, btf: Btf, probeFeatures: () => BtfFeatures): LoadedBtf {
  const edits = programBtfEdits(spec, btf);
  const plain = encodeEditedBtf(btf, edits);
  const first = tryBtfLoad({ data: plain.bytes });
  if (first.ok) return { ok: true, fd: new OwnedFd(first.fd, 'btf'), btf: plain, sanitized: false };
  const features = probeFeatures();
  const changed = Object.keys(ALL_BTF_FEATURES).some((k) => !features[k as keyof BtfFeatures]);
  if (!changed) return { ok: false, reason: `BPF_BTF_LOAD failed: ${first.code}` };
  const sanitized = encodeProgramBtf(btf, sanitizeBtf(plain.types, features, btf.firstId));
  const second = tryBtfLoad({ data: sanitized.bytes });
  if (second.ok) return { ok: true, fd: new OwnedFd(second.fd, 'btf'), btf: sanitized, sanitized: true };
  return { ok: false, reason: `BPF_BTF_LOAD failed: ${first.code}, sanitized: ${second.code}` };
}
