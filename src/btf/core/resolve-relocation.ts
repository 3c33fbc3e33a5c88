import type { Btf } from '../btf.js';
import { BpfCoreReloKind } from '../ext.js';
import { calcRelocation, type CoreByteOrder, type CoreReloOutcome } from './calc-relocation.js';
import type { CoreCandidate, CoreCandidateCache, CoreTarget } from './candidates.js';
import { CoreFault } from './errors.js';
import { matchCoreSpec } from './match-spec.js';
import { parseCoreSpec, type CoreReloRecord, type CoreSpec } from './spec.js';
import { typeLabel } from './btf-walk.js';

/** The decision for one relocation record, before any instruction is touched. */
export interface CoreResolution {
  readonly localSpec: CoreSpec;
  /** The spec in the first matching candidate (all matching candidates agree). */
  readonly targetSpec: CoreSpec | undefined;
  /** The target BTF that candidate lives in. */
  readonly target: CoreTarget | undefined;
  /** Candidates found by name, and how many of them matched the access path. */
  readonly candidates: number;
  readonly matched: number;
  readonly outcome: CoreReloOutcome;
}

/**
 * `bpf_core_calc_relo_insn`: parses the local spec, matches it against every candidate target
 * type, and checks that all matching candidates agree on the field offset and on the resulting
 * value; disagreement is an ambiguity error. Matching candidates then replace the cached list
 * for this local type. Without any match, field and enum-value relocations are poisoned while
 * existence, type and size relocations yield 0.
 */
export function resolveRelocation(localBtf: Btf, relo: CoreReloRecord, targets: readonly CoreTarget[], cache: CoreCandidateCache, order: CoreByteOrder): CoreResolution {
  const key = `${relo.typeId}\0${relo.kind}\0${order}\0${relo.accessString}`;
  const known = cache.resolution(localBtf, targets, key);
  if (known !== undefined) return known;
  const resolution = resolveOnce(localBtf, relo, targets, cache, order);
  cache.rememberResolution(localBtf, targets, key, resolution);
  return resolution;
}

function resolveOnce(localBtf: Btf, relo: CoreReloRecord, targets: readonly CoreTarget[], cache: CoreCandidateCache, order: CoreByteOrder): CoreResolution {
  const localType = localBtf.typeById(relo.typeId);
  const localSpec = parseCoreSpec(localBtf, relo);
  if (relo.kind === BpfCoreReloKind.TYPE_ID_LOCAL) {
    // Needs no target: the id is ours, and linking may have renumbered it, so no validation.
    const id = BigInt(relo.typeId);
    const outcome = { origValue: id, newValue: id, poison: false, validate: false, failMemSizeAdjust: false, origSize: 0, newSize: 0 };
    return { localSpec, targetSpec: undefined, target: undefined, candidates: 0, matched: 0, outcome };
  }
  if (localType.name === '') throw new CoreFault(`relocation of anonymous ${typeLabel(localBtf, relo.typeId)} is not supported (no name to search candidates by)`);

  const candidates = cache.find(localBtf, relo.typeId, targets);
  const matched: CoreCandidate[] = [];
  let first: { spec: CoreSpec; outcome: CoreReloOutcome; cand: CoreCandidate } | undefined;
  for (const cand of candidates) {
    const spec = matchCoreSpec(localSpec, cand.target.btf, cand.typeId);
    if (spec === undefined) continue;
    const outcome = calcRelocation(localSpec, spec, order);
    if (first === undefined) {
      first = { spec, outcome, cand };
    } else if (spec.bitOffset !== first.spec.bitOffset) {
      throw new CoreFault(
        `relocation ambiguous: ${matched.length + 1} candidates give different field offsets: ` +
          `${describeCandidate(first.cand)} at bit ${first.spec.bitOffset}, ${describeCandidate(cand)} at bit ${spec.bitOffset}`,
      );
    } else if (outcome.poison !== first.outcome.poison || outcome.newValue !== first.outcome.newValue) {
      throw new CoreFault(
        `relocation ambiguous: ${matched.length + 1} candidates give different results: ` +
          `${describeCandidate(first.cand)} -> ${showOutcome(first.outcome)}, ${describeCandidate(cand)} -> ${showOutcome(outcome)}`,
      );
    }
    matched.push(cand);
  }
  cache.prune(localBtf, relo.typeId, matched);
  if (first === undefined) {
    return { localSpec, targetSpec: undefined, target: undefined, candidates: candidates.length, matched: 0, outcome: calcRelocation(localSpec, undefined, order) };
  }
  return { localSpec, targetSpec: first.spec, target: first.cand.target, candidates: candidates.length, matched: matched.length, outcome: first.outcome };
}

function describeCandidate(c: CoreCandidate): string {
  return `[${c.typeId}] ${typeLabel(c.target.btf, c.typeId)} in ${c.target.name}`;
}

function showOutcome(o: CoreReloOutcome): string {
  return o.poison ? 'failure' : `${o.newValue}`;
}
