import { Btf } from '../btf.js';
import { BtfError } from '../errors.js';
import type { BpfCoreReloKind } from '../ext.js';
import type { CoreByteOrder } from './calc-relocation.js';

export type { CoreByteOrder };
import { CoreCandidateCache, type CoreTarget } from './candidates.js';
import { CoreFault, CoreRelocationError } from './errors.js';
import { coreReloKindName } from './kinds.js';
import { patchInstruction, type CorePatch } from './patch-instruction.js';
import { resolveRelocation } from './resolve-relocation.js';
import { describeCoreSpec, formatCoreSpec, type CoreSpec } from './spec.js';
import { typeLabel } from './btf-walk.js';

/**
 * One CO-RE record of a program (`struct bpf_core_relo`), with the instruction counted from the
 * program's first instruction (not from the ELF section, as `.BTF.ext` stores it).
 */
export interface CoreRelocationRecord {
  readonly insnIndex: number;
  /** Root type id in the local (object) BTF. */
  readonly typeId: number;
  /** `0:1:2`-style access string. */
  readonly accessString: string;
  readonly kind: BpfCoreReloKind;
}

/** What `relocateCore` needs. */
export interface RelocateCoreInput {
  /** The object's own `.BTF`. */
  readonly localBtf: Btf;
  /**
   * BTFs to relocate against: vmlinux first, then module BTFs (searched only when vmlinux has no
   * candidate for a type), or a single custom BTF standing in for the kernel's. A bare `Btf` is
   * named `vmlinux` (first) or `module#N` in reports.
   */
  readonly targets: readonly (Btf | CoreTarget)[];
  /** The program's instructions (`struct bpf_insn[]`, object byte order); not modified. */
  readonly instructions: Uint8Array;
  /** The program's CO-RE records, in `.BTF.ext` order. */
  readonly coreRelos: readonly CoreRelocationRecord[];
  /** Share one across the programs of an object to prune candidates as libbpf does. */
  readonly candidateCache?: CoreCandidateCache;
  /** Program name, for errors and reports. */
  readonly program?: string;
  /** Byte order of `instructions`; default: the local BTF's. */
  readonly byteOrder?: CoreByteOrder;
}

/** A spec as reported: ids, names and the access path in both forms. */
export interface CoreSpecReport {
  readonly typeId: number;
  /** `struct task_struct` (with the flavor, if the type has one). */
  readonly typeName: string;
  /** Raw access indices, `0:57:2`; `0` for type relocations, the enumerator index for enums. */
  readonly accessString: string;
  /** C-like path: `struct task_struct.real_parent`, `enum bpf_map_type::BPF_MAP_TYPE_RINGBUF = 27`. */
  readonly path: string;
  /** Bit offset the path adds up to (fields only). */
  readonly bitOffset: number;
  /** libbpf's rendering, as in its `relo #N:` debug lines. */
  readonly text: string;
  /** Which target BTF (for target specs). */
  readonly btfName?: string;
}

/** Why a relocation poisoned its instruction; see {@link CoreRelocationResult.poisonReason}. */
export const CorePoisonReason = { notFound: 'not-found', unsafeResize: 'unsafe-resize' } as const;
export type CorePoisonReason = (typeof CorePoisonReason)[keyof typeof CorePoisonReason];

/** The result of one relocation. */
export interface CoreRelocationResult {
  /** Position of the record in `coreRelos`. */
  readonly index: number;
  readonly insnIndex: number;
  readonly kind: BpfCoreReloKind;
  /** libbpf's name of the kind (`byte_off`, ...). */
  readonly kindName: string;
  readonly localSpec: CoreSpecReport;
  /** The matching target spec; absent when nothing matched (or for `local_type_id`). */
  readonly targetSpec?: CoreSpecReport;
  /** Candidate types found by name, and how many matched the access path. */
  readonly candidates: number;
  readonly matched: number;
  /** Value the compiler emitted, and the value for the target. */
  readonly origValue: bigint;
  readonly newValue: bigint;
  /** The instruction was replaced by `call 0xbad2310`. */
  readonly poisoned: boolean;
  /**
   * Why it was poisoned: the field or enumerator is not in the target (`not-found`), or the
   * load/store would need a size change that alters the value, e.g. a signed field of another
   * width (`unsafe-resize`, libbpf's "accesses field incorrectly").
   */
  readonly poisonReason?: CorePoisonReason;
  /** How the instruction changed. */
  readonly patch: CorePatch;
  /** What was relocated, for failure messages: `struct task_struct___local.no_such_field`. */
  readonly description: string;
}

/** Output of `relocateCore`. */
export interface RelocateCoreOutput {
  /** A patched copy of the instructions. */
  readonly instructions: Uint8Array;
  readonly results: readonly CoreRelocationResult[];
}

function report(spec: CoreSpec, btfName?: string): CoreSpecReport {
  const base = {
    typeId: spec.rootTypeId,
    typeName: typeLabel(spec.btf, spec.rootTypeId),
    accessString: spec.raw.length === 0 ? '0' : spec.raw.join(':'),
    path: describeCoreSpec(spec, false),
    bitOffset: spec.bitOffset,
    text: formatCoreSpec(spec),
  };
  return btfName === undefined ? base : { ...base, btfName };
}

/**
 * Adds `key` to `obj` as an enumerable read-only property whose value `render` computes on first
 * read (then kept). Added in the key order of the eager object, so results enumerate, compare
 * and print as before; adding (not redefining) keeps the object in V8's fast mode.
 */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function addRenderedOnRead<T extends object, K extends keyof T>(obj: Partial<T>, key: K, render: () => T[K]): void {
  let value: T[K] | undefined;
  let done = false;
  Object.defineProperty(obj, key, {
    enumerable: true,
    get(): T[K] {
      if (!done) {
        value = render();
        done = true;
      }
      return value as T[K];
    },
  });
}

function normalizeTargets(targets: readonly (Btf | CoreTarget)[]): CoreTarget[] {
  return targets.map((t, i) => (t instanceof Btf ? { name: i === 0 ? 'vmlinux' : `module#${i}`, btf: t } : t));
}

/**
 * CO-RE relocation of one program (libbpf's `bpf_object__relocate_core` for the records of one
 * program): for each record, find candidate types in the targets by essential name, match the
 * access path, calculate the value, and patch the instruction. Pure: BTFs and bytes in, a
 * patched copy and a report out. Unresolvable field/enum-value relocations poison their
 * instruction (`call 0xbad2310`) so the verifier fails only if the code is reachable.
 * Malformed records, ambiguous candidates and unexpected instructions throw
 * `CoreRelocationError`.
 *
 * @example
 * ```ts
 * const { instructions, results } = relocateCore({
 *   localBtf: spec.btf,
 *   targets: [loadKernelBtf()],
 *   instructions: prog.instructions,
 *   coreRelos: prog.relocations.filter((r) => r.kind === 'core').map((r) => ({
 *     insnIndex: r.insnIndex, typeId: r.typeId, accessString: r.accessor, kind: CoreRelocationKind[r.coreKind],
 *   })),
 * });
 * for (const r of results) console.log(r.localSpec.text, r.origValue, '->', r.newValue);
 * ```
 */
export function relocateCore(input: RelocateCoreInput): RelocateCoreOutput {
  const targets = normalizeTargets(input.targets);
  const localBtf = input.localBtf;
  const cache = input.candidateCache ?? new CoreCandidateCache();
  const insnOrder: CoreByteOrder = input.byteOrder ?? (localBtf.header.littleEndian ? 'little' : 'big');
  const instructions = new Uint8Array(input.instructions);
  const results: CoreRelocationResult[] = [];
  if (targets.length === 0 && input.coreRelos.length > 0) {
    throw new CoreRelocationError('no target BTF to relocate against', input.program === undefined ? {} : { program: input.program });
  }
  // Bitfield shifts depend on the byte order of the machine the kernel runs on.
  const targetOrder: CoreByteOrder = targets[0]?.btf.header.littleEndian === false ? 'big' : 'little';

  input.coreRelos.forEach((relo, index) => {
    const context = () => {
      let localType: string | undefined;
      try {
        localType = typeLabel(localBtf, relo.typeId);
      } catch {
        localType = `[${relo.typeId}]`;
      }
      return {
        ...(input.program === undefined ? {} : { program: input.program }),
        insnIndex: relo.insnIndex,
        kind: coreReloKindName(relo.kind),
        accessString: relo.accessString,
        localType,
      };
    };
    try {
      const r = resolveRelocation(localBtf, { typeId: relo.typeId, accessString: relo.accessString, kind: relo.kind }, targets, cache, targetOrder);
      const patch = patchInstruction(instructions, relo.insnIndex, r.outcome, insnOrder);
      // The texts cost more than the relocation; a load reads them only for debug output and
      // failures, so each is rendered on first read. Built key by key in the documented order.
      const built: Partial<Mutable<CoreRelocationResult>> = { index, insnIndex: relo.insnIndex, kind: relo.kind, kindName: coreReloKindName(relo.kind) };
      addRenderedOnRead<CoreRelocationResult, 'localSpec'>(built, 'localSpec', () => report(r.localSpec));
      const targetSpec = r.targetSpec;
      if (targetSpec !== undefined) addRenderedOnRead<CoreRelocationResult, 'targetSpec'>(built, 'targetSpec', () => report(targetSpec, r.target?.name));
      built.candidates = r.candidates;
      built.matched = r.matched;
      built.origValue = r.outcome.origValue;
      built.newValue = r.outcome.newValue;
      built.poisoned = patch.kind === 'poison';
      if (patch.kind === 'poison') built.poisonReason = r.outcome.poison ? CorePoisonReason.notFound : CorePoisonReason.unsafeResize;
      built.patch = patch;
      addRenderedOnRead<CoreRelocationResult, 'description'>(built, 'description', () => describeCoreSpec(r.localSpec, false));
      const result = built as CoreRelocationResult;
      results.push(result);
    } catch (e) {
      if (e instanceof CoreFault) throw new CoreRelocationError(`relo #${index}: ${e.message}`, context(), { cause: e });
      // BtfError from a bad type id or a broken local BTF: same context, keep the cause.
      if (e instanceof BtfError) throw new CoreRelocationError(`relo #${index}: ${e.message}`, context(), { cause: e });
      throw e;
    }
  });
  return { instructions, results };
}
