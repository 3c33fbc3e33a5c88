/**
 * The running kernel as CO-RE targets: vmlinux, then each module's split BTF, read only when a
 * candidate search reaches it. libbpf's `bpf_core_find_cands` loads module BTFs only when vmlinux
 * has no candidate for a type; a load whose types are all in vmlinux reads none of them.
 */
import { parseBtf, type Btf } from '../btf/btf.js';
import type { CoreTarget } from '../btf/core/candidates.js';
import type { KernelFacts } from './kernel-facts.js';

/** `struct btf_header` of a split BTF with no types and no strings of its own. */
function emptySplitBtf(base: Btf): Btf {
  const bytes = new Uint8Array(24);
  const v = new DataView(bytes.buffer);
  v.setUint16(0, 0xeb9f, base.header.littleEndian);
  v.setUint8(2, 1);
  v.setUint32(4, 24, base.header.littleEndian);
  return parseBtf(bytes, { base });
}

/**
 * vmlinux (named `vmlinux`) and every module with BTF (named `module#N`, N from 1, as
 * `relocateCore` names bare module BTFs), each module's BTF parsed on first use. A module whose
 * BTF cannot be read stands for an empty BTF: it has no candidates.
 *
 * @example
 * ```ts
 * relocateCore({ localBtf, targets: kernelCoreTargets(kernelFacts()), instructions, coreRelos });
 * ```
 */
export function kernelCoreTargets(facts: KernelFacts): CoreTarget[] {
  const vmlinux = facts.vmlinuxBtf();
  const out: CoreTarget[] = [{ name: 'vmlinux', btf: vmlinux }];
  for (const m of facts.moduleNames()) {
    let btf: Btf | undefined;
    out.push({
      name: `module#${out.length}`,
      get btf(): Btf {
        return (btf ??= facts.moduleBtf(m) ?? emptySplitBtf(vmlinux));
      },
    });
  }
  return out;
}
