/**
 * CO-RE (Compile Once - Run Everywhere) relocation, libbpf's `relo_core.c` semantics: match the
 * types and access paths a BPF object recorded in `.BTF.ext` against the target kernel's BTF
 * (vmlinux, modules, or a custom btfhub-style file) and patch the instructions. Pure: BTFs and
 * instruction bytes in, patched bytes and a report out.
 *
 * How the loader uses it, to reproduce libbpf exactly:
 * - one `relocateCore` call per program *and* per `.text` subprogram, on the function's own
 *   instructions before subprograms are appended (libbpf relocates CO-RE first), with record
 *   instruction indices relative to that function; skip programs that will not be loaded;
 * - one `CoreCandidateCache` per object load, shared by all those calls, in `.BTF.ext` order
 *   (candidate pruning depends on it);
 * - targets: `[vmlinux, ...modules]` from `loadKernelBtf()`/`loadModuleBtf()`, or a single
 *   custom BTF (btfhub) instead of both, as libbpf's `btf_custom_path`;
 * - poisoned results go to the verifier-log explainer through `coreFailures(results)`, and
 *   `fixupCoreFailureLog` rewrites the kernel's log the way libbpf does.
 *
 * Semantics follow libbpf's current `relo_core.c` (tests compare with the system libbpf 1.1.2;
 * where they differ, e.g. the element size of arrays for load resizing, the newer rule wins).
 */
export { relocateCore, CorePoisonReason, type CoreByteOrder, type RelocateCoreInput, type RelocateCoreOutput, type CoreRelocationRecord, type CoreRelocationResult, type CoreSpecReport } from './relocate-core.js';
export { CoreRelocationError, type CoreRelocationErrorContext } from './errors.js';
export { CoreCandidateCache, findTargetCandidates, type CoreTarget, type CoreCandidate } from './candidates.js';
export { describeCoreFailure, coreFailures, fixupCoreFailureLog } from './describe.js';
export { CORE_POISON_HELPER_ID, CorePatchKind, type CorePatch } from './patch-instruction.js';
export { CORE_SPEC_MAX_LEN } from './spec.js';
export { essentialName, essentialNameLength } from './essential-name.js';
export { CORE_RELO_KIND_NAMES, coreReloKindName } from './kinds.js';
