/**
 * CO-RE (Compile Once - Run Everywhere) relocation, libbpf's `relo_core.c` semantics: match the
 * types and access paths a BPF object recorded in `.BTF.ext` against the target kernel's BTF
 * (vmlinux, modules, or a custom btfhub-style file) and patch the instructions. Pure: BTFs and
 * instruction bytes in, patched bytes and a report out.
 */
export { relocateCore, CorePoisonReason, type CoreByteOrder, type RelocateCoreInput, type RelocateCoreOutput, type CoreRelocationRecord, type CoreRelocationResult, type CoreSpecReport } from './relocate-core.js';
export { CoreRelocationError, type CoreRelocationErrorContext } from './errors.js';
export { CoreCandidateCache, findTargetCandidates, type CoreTarget, type CoreCandidate } from './candidates.js';
export { describeCoreFailure, coreFailures, fixupCoreFailureLog } from './describe.js';
export { CORE_POISON_HELPER_ID, CorePatchKind, type CorePatch } from './patch-instruction.js';
export { CORE_SPEC_MAX_LEN } from './spec.js';
export { essentialName, essentialNameLength } from './essential-name.js';
export { CORE_RELO_KIND_NAMES, coreReloKindName } from './kinds.js';
