/**
 * The kernel BTF names one load will look up, asked up front in one pass per BTF
 * (`Btf.prefetchNames`). On a vmlinux BTF parsed for this load (libbpf's way, and what
 * `freshKernelFacts()` gives) every CO-RE root type and every attach target would otherwise cost
 * a pass over vmlinux's 100k+ type names of its own.
 */
import type { Btf, BtfNameQuery } from '../btf/btf.js';
import { isAnyEnum } from '../btf/core/btf-walk.js';
import { essentialName } from '../btf/core/essential-name.js';
import { attachBtfName } from './load-program.js';
import type { ProgramSpec } from './program-spec.js';

/** What the load will ask of kernel BTF. */
export interface KernelNameLookups {
  /** The object's BTF, whose types CO-RE relocations start from. */
  readonly localBtf: Btf | undefined;
  /** The programs that will be loaded (with any program type override applied). */
  readonly programs: readonly ProgramSpec[];
  /** Subprograms the programs may call (their CO-RE relocations come along when appended). */
  readonly subprograms: readonly ProgramSpec[];
  /** The custom BTF standing in for vmlinux as the first CO-RE target, if any. */
  readonly coreTarget: Btf | undefined;
  /** vmlinux BTF, where attach targets (and CO-RE candidates first) are looked up. */
  readonly vmlinux: (names?: readonly BtfNameQuery[]) => Btf;
}

/**
 * Asks the CO-RE candidate names (`name` and `name___*`, per kind) and the attach-target names of
 * the load in one batch per BTF. Only answers are cached, so a name no later lookup asks for costs
 * nothing but its share of the pass; BTF that nobody needs is not read.
 *
 * @example
 * ```ts
 * prefetchKernelNames({ localBtf: spec.btf, programs, subprograms: spec.subprograms, coreTarget: undefined, vmlinux: (names) => facts.vmlinuxBtf(names) });
 * ```
 */
export function prefetchKernelNames(lookups: KernelNameLookups): void {
  const core = coreQueries(lookups);
  const attach: BtfNameQuery[] = [];
  for (const p of lookups.programs) {
    const want = attachBtfName(p);
    if (want !== undefined) attach.push({ name: want.name, kinds: [want.kind] });
  }
  const forVmlinux = lookups.coreTarget === undefined ? [...core, ...attach] : attach;
  try {
    lookups.coreTarget?.prefetchNames(core);
    // A vmlinux parsed by this call answers them during its parse; one parsed earlier in a pass.
    if (forVmlinux.length > 0) lookups.vmlinux(forVmlinux).prefetchNames(forVmlinux);
  } catch {
    // No readable kernel BTF: the lookups themselves report that, at the point of the load
    // that needs it (after errors the load finds earlier), as they did without this batch.
  }
}

/** The candidate searches `CoreCandidateCache` makes for the programs' CO-RE root types. */
function coreQueries(lookups: KernelNameLookups): BtfNameQuery[] {
  const btf = lookups.localBtf;
  if (btf === undefined) return [];
  const seen = new Set<number>();
  const out: BtfNameQuery[] = [];
  for (const p of [...lookups.programs, ...lookups.subprograms]) {
    for (const r of p.relocations) {
      if (r.kind !== 'core' || seen.has(r.typeId)) continue;
      seen.add(r.typeId);
      if (r.typeId <= 0 || r.typeId >= btf.typeCount) continue;
      const t = btf.typeById(r.typeId);
      out.push({ name: essentialName(t.name), kinds: isAnyEnum(t.kind) ? ['ENUM', 'ENUM64'] : [t.kind], flavors: true });
    }
  }
  return out;
}
