/**
 * `minCoreBtf()`: bpftool's `gen min_core_btf` as a pure function. Given a kernel BTF and BPF
 * objects, it keeps only what the objects' CO-RE relocations touch in that kernel, so a tool can
 * ship small BTF files for kernels without `/sys/kernel/btf/vmlinux` (BTFHub's use).
 *
 * bpftool's marking rules, which this follows:
 * - field relocations: the root type, and along the access path each struct/union member used
 *   and its type (pointers are not followed, so a pointer member's target is not kept);
 * - type id/exists/size relocations: the whole type, following pointers (members of a struct
 *   are not kept: a struct without its fields still has its name and size);
 * - type-matches relocations: the type with every member, recursively, stopping at structs
 *   behind pointers;
 * - enum value relocations: the enum with all its values; `local_type_id` needs no kernel BTF.
 * The output keeps the marked types in kernel id order, structs and unions with only their
 * marked members (size and member offsets unchanged), and references to unmarked types
 * become `void`.
 */
import type { Btf } from '../btf/btf.js';
import { CoreCandidateCache } from '../btf/core/candidates.js';
import { relocateCore } from '../btf/core/relocate-core.js';
import { encodeBtf } from '../btf/encode.js';
import type { BtfMember, BtfType } from '../btf/types.js';
import { CoreRelocationKind } from './relocations.js';
import type { ObjectSpec } from './object-spec.js';
import { LoadError } from './load-errors.js';

/** `enum bpf_core_relo_kind` values used below. */
const KIND = { TYPE_ID_LOCAL: 6, TYPE_ID_TARGET: 7, TYPE_EXISTS: 8, TYPE_SIZE: 9, ENUMVAL_EXISTS: 10, ENUMVAL_VALUE: 11, TYPE_MATCHES: 12 } as const;

class Marks {
  readonly types = new Set<number>();
  readonly members = new Map<number, Set<number>>();

  constructor(readonly btf: Btf) {}

  member(typeId: number, index: number): void {
    let s = this.members.get(typeId);
    if (s === undefined) this.members.set(typeId, (s = new Set()));
    s.add(index);
  }

  /** bpftool's `btfgen_mark_type`. */
  type(id: number, followPointers: boolean): void {
    if (id === 0) return;
    this.types.add(id);
    const t = this.btf.typeById(id);
    switch (t.kind) {
      case 'PTR':
        if (followPointers) this.type(t.type, followPointers);
        return;
      case 'CONST':
      case 'RESTRICT':
      case 'VOLATILE':
      case 'TYPEDEF':
      case 'TYPE_TAG':
        this.type(t.type, followPointers);
        return;
      case 'ARRAY':
        this.type(t.type, followPointers);
        this.type(t.indexType, followPointers);
        return;
      case 'FUNC_PROTO':
        this.type(t.returnType, followPointers);
        for (const p of t.params) this.type(p.type, followPointers);
        return;
      default:
        return;
    }
  }

  /** bpftool's `btfgen_mark_type_match`. */
  typeMatch(id: number, behindPointer: boolean): void {
    if (id === 0) return;
    this.types.add(id);
    const t = this.btf.typeById(id);
    switch (t.kind) {
      case 'STRUCT':
      case 'UNION':
        if (behindPointer) return;
        t.members.forEach((m, i) => {
          this.member(id, i);
          this.typeMatch(m.type, false);
        });
        return;
      case 'CONST':
      case 'RESTRICT':
      case 'TYPEDEF':
      case 'VOLATILE':
      case 'TYPE_TAG':
        this.typeMatch(t.type, behindPointer);
        return;
      case 'PTR':
        this.typeMatch(t.type, true);
        return;
      case 'ARRAY':
        this.typeMatch(t.type, false);
        this.typeMatch(t.indexType, false);
        return;
      case 'FUNC_PROTO':
        this.typeMatch(t.returnType, false);
        for (const p of t.params) this.typeMatch(p.type, false);
        return;
      default:
        return;
    }
  }

  /** bpftool's `btfgen_record_field_relo`: the root, then each member on the raw access path. */
  field(rootId: number, raw: readonly number[]): void {
    let id = rootId;
    this.type(id, false);
    for (let i = 1; i < raw.length; i++) {
      let t = this.btf.typeById(id);
      while (t.kind === 'CONST' || t.kind === 'VOLATILE' || t.kind === 'RESTRICT' || t.kind === 'TYPEDEF' || t.kind === 'TYPE_TAG') {
        id = t.type;
        t = this.btf.typeById(id);
      }
      if (t.kind === 'STRUCT' || t.kind === 'UNION') {
        const index = raw[i] as number;
        const m = t.members[index];
        if (m === undefined) return;
        this.member(id, index);
        id = m.type;
        this.type(id, false);
      } else if (t.kind === 'ARRAY') {
        id = t.type;
      } else {
        return;
      }
    }
  }
}

/** The same type with every referenced type id passed through `map`. */
function remapIds(t: BtfType, map: (id: number) => number): BtfType {
  switch (t.kind) {
    case 'PTR':
    case 'TYPEDEF':
    case 'VOLATILE':
    case 'CONST':
    case 'RESTRICT':
    case 'TYPE_TAG':
    case 'FUNC':
    case 'VAR':
    case 'DECL_TAG':
      return { ...t, type: map(t.type) };
    case 'ARRAY':
      return { ...t, type: map(t.type), indexType: map(t.indexType) };
    case 'STRUCT':
    case 'UNION':
      return { ...t, members: t.members.map((m) => ({ ...m, type: map(m.type) })) };
    case 'FUNC_PROTO':
      return { ...t, returnType: map(t.returnType), params: t.params.map((p) => ({ ...p, type: map(p.type) })) };
    case 'DATASEC':
      return { ...t, vars: t.vars.map((v) => ({ ...v, type: map(v.type) })) };
    default:
      return t;
  }
}

/**
 * The minimal BTF of `kernel` for the CO-RE relocations of `objects` (bpftool's
 * `gen min_core_btf INPUT OUTPUT OBJECT...`), as raw BTF bytes. Throws `CoreRelocationError`
 * when a relocation is ambiguous in `kernel`, `LoadError` for an object without BTF.
 *
 * @example
 * ```ts
 * const min = minCoreBtf(parseBtf(readFileSync('/sys/kernel/btf/vmlinux')), [await loadObjectSpec('tool.bpf.o')]);
 * writeFileSync('tool.btf', min); // later: loadObject(spec, { kernelBtf: parseBtf(min) })
 * ```
 */
export function minCoreBtf(kernel: Btf, objects: readonly ObjectSpec[]): Uint8Array {
  const marks = new Marks(kernel);
  for (const spec of objects) {
    const programs = [...spec.programs, ...spec.subprograms];
    const cache = new CoreCandidateCache();
    for (const p of programs) {
      const core = p.relocations.filter((r) => r.kind === 'core');
      if (core.length === 0) continue;
      if (spec.btf === undefined) throw new LoadError('CO-RE relocations need the object BTF', { fileName: spec.fileName, program: p.name });
      const out = relocateCore({
        localBtf: spec.btf,
        targets: [kernel],
        instructions: p.instructions,
        coreRelos: core.map((r) => ({ insnIndex: r.insnIndex, typeId: r.typeId, accessString: r.accessor, kind: CoreRelocationKind[r.coreKind] })),
        candidateCache: cache,
        program: p.name,
      });
      for (const r of out.results) {
        const target = r.targetSpec;
        if (target === undefined || r.kind === KIND.TYPE_ID_LOCAL) continue;
        switch (r.kind) {
          case KIND.TYPE_ID_TARGET:
          case KIND.TYPE_EXISTS:
          case KIND.TYPE_SIZE:
            marks.type(target.typeId, true);
            break;
          case KIND.TYPE_MATCHES:
            marks.typeMatch(target.typeId, false);
            break;
          case KIND.ENUMVAL_EXISTS:
          case KIND.ENUMVAL_VALUE:
            marks.type(target.typeId, false);
            break;
          default:
            marks.field(target.typeId, target.accessString.split(':').map(Number));
        }
      }
    }
  }
  const ids = [...marks.types].sort((a, b) => a - b);
  const newId = new Map<number, number>(ids.map((id, i) => [id, i + 1]));
  const types = ids.map((id): BtfType => {
    const t = kernel.typeById(id);
    if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return remapIds(t, (x) => newId.get(x) ?? 0);
    const kept = marks.members.get(id);
    const members: BtfMember[] = t.members.filter((_, i) => kept?.has(i) === true);
    const kindFlag = members.some((m) => m.bitfieldSize !== 0);
    return remapIds({ ...t, kindFlag, members }, (x) => newId.get(x) ?? 0);
  });
  return encodeBtf(types);
}
