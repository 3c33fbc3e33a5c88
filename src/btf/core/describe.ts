import type { CoreRelocationResult } from './relocate-core.js';
import { CORE_POISON_HELPER_ID } from './patch-instruction.js';

/**
 * The text the verifier-log explainer shows for a poisoned relocation: what the program tried
 * to use, `struct task_struct___local.no_such_field`, `enum bpf_map_type::BPF_MAP_TYPE_FOO = 40`
 * or `struct foo`.
 *
 * @example
 * ```ts
 * const failures = results.filter((r) => r.poisoned).map((r) => ({ insnIndex: r.insnIndex, description: describeCoreFailure(r) }));
 * explainVerifierLog(log, { coreFailures: failures });
 * ```
 */
export function describeCoreFailure(result: Pick<CoreRelocationResult, 'description'>): string {
  return result.description;
}

/** The poisoned relocations of a program, shaped as `src/verifier-log`'s `CoreFailure` list. */
export function coreFailures(results: readonly CoreRelocationResult[]): { insnIndex: number; description: string }[] {
  return results.filter((r) => r.poisoned).map((r) => ({ insnIndex: r.insnIndex, description: describeCoreFailure(r) }));
}

/**
 * libbpf's `fixup_log_failed_core_relo`: in a verifier log, replaces
 * `N: (85) call unknown#195896080` + `invalid func unknown#195896080` by
 * `N: <invalid CO-RE relocation>` + `failed to resolve CO-RE relocation <spec>`, for the
 * instruction N of a poisoned relocation. Other lines are left alone.
 */
export function fixupCoreFailureLog(log: string, results: readonly CoreRelocationResult[]): string {
  const lines = log.split('\n');
  const call = new RegExp(`^(\\d+): \\(\\d+\\) call unknown#${CORE_POISON_HELPER_ID}$`);
  for (let i = 0; i + 1 < lines.length; i++) {
    const m = call.exec(lines[i] as string);
    if (m === null || lines[i + 1] !== `invalid func unknown#${CORE_POISON_HELPER_ID}`) continue;
    const insn = Number(m[1]);
    const r = results.find((x) => x.poisoned && x.insnIndex === insn);
    if (r === undefined) continue;
    lines[i] = `${insn}: <invalid CO-RE relocation>`;
    lines[i + 1] = `failed to resolve CO-RE relocation ${r.localSpec.text}`;
  }
  return lines.join('\n');
}
