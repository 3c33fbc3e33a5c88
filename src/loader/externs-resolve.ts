/**
 * libbpf's `bpf_object__resolve_ksyms()`: `__ksym` variables and kernel functions looked up in
 * vmlinux BTF (then module BTF), untyped `__ksym` variables in kallsyms. Pure over
 * {@link KernelFacts}; opening module BTF fds is the caller's job.
 */
import type { ExternSpec } from './collect-externs.js';
import type { KernelFacts } from './kernel-facts.js';
import { LoadError } from './load-errors.js';

/** Where a kernel function or typed variable lives. */
export interface KernelBtfTarget {
  readonly btfId: number;
  /** Module name, `undefined` for vmlinux. */
  readonly module: string | undefined;
}

/** The resolution of one `.ksyms` extern (`undefined`: weak and missing). */
export type ResolvedExtern =
  | { readonly kind: 'btf'; readonly target: KernelBtfTarget }
  | { readonly kind: 'address'; readonly address: bigint }
  | undefined;

/** Finds a named FUNC or VAR in vmlinux BTF, then in each module's BTF. */
export function findKernelBtf(facts: KernelFacts, name: string, kind: 'FUNC' | 'VAR' | 'TYPEDEF'): KernelBtfTarget | undefined {
  const id = facts.vmlinuxBtf().findByName(name, kind)[0];
  if (id !== undefined) return { btfId: id, module: undefined };
  for (const m of facts.moduleNames()) {
    const btf = facts.moduleBtf(m);
    if (btf === undefined) continue;
    const own = btf.findByName(name, kind).find((i) => i >= btf.firstId);
    if (own !== undefined) return { btfId: own, module: m };
  }
  return undefined;
}

/**
 * Resolves every `ksym` and `kfunc` extern. A missing non-weak extern throws {@link LoadError}
 * (`extern 'bpf_foo': kernel function not found in kernel BTF`).
 *
 * @example
 * ```ts
 * const resolved = resolveKsyms(spec.externs, kernelFacts());
 * resolved.get('bpf_rcu_read_lock'); // { kind: 'btf', target: { btfId: 12345, module: undefined } }
 * ```
 */
export function resolveKsyms(externs: readonly ExternSpec[], facts: KernelFacts): Map<string, ResolvedExtern> {
  const out = new Map<string, ResolvedExtern>();
  for (const e of externs) {
    if (e.kind === 'kconfig') continue;
    let resolved: ResolvedExtern;
    if (e.kind === 'kfunc') {
      const t = findKernelBtf(facts, e.essentialName, 'FUNC');
      resolved = t === undefined ? undefined : { kind: 'btf', target: t };
      if (resolved === undefined && !e.weak) throw new LoadError('kernel function not found in kernel BTF', { extern: e.name });
    } else if (e.typeId !== 0) {
      const t = findKernelBtf(facts, e.essentialName, 'VAR');
      resolved = t === undefined ? undefined : { kind: 'btf', target: t };
      if (resolved === undefined && !e.weak) throw new LoadError('kernel variable not found in kernel BTF', { extern: e.name });
    } else {
      const address = facts.kallsyms().get(e.essentialName);
      resolved = address === undefined ? undefined : { kind: 'address', address };
      if (resolved === undefined && !e.weak) throw new LoadError('symbol not found in /proc/kallsyms', { extern: e.name });
    }
    out.set(e.name, resolved);
  }
  return out;
}
