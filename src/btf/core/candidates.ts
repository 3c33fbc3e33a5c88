import { Buffer } from 'node:buffer';
import type { Btf } from '../btf.js';
import type { BtfStrings } from '../strings.js';
import type { BtfKindName } from '../types.js';
import type { CoreResolution } from './resolve-relocation.js';
import { essentialName, essentialNameLength } from './essential-name.js';
import { isAnyEnum, kindsCoreCompatible } from './btf-walk.js';

/**
 * A BTF that CO-RE relocates against: the running kernel's vmlinux BTF, a module's split BTF,
 * or a custom file standing in for vmlinux (a btfhub-style BTF of another kernel). `name` is
 * what reports and errors call it (`vmlinux`, `nf_tables`, a path).
 */
export interface CoreTarget {
  readonly name: string;
  readonly btf: Btf;
}

/** One candidate target type (`struct bpf_core_cand`). */
export interface CoreCandidate {
  readonly target: CoreTarget;
  readonly typeId: number;
}

/** Essential name -> the flavored names (`nf_conn___init`) present in a string section. */
const flavoredByBtf = new WeakMap<Btf, Map<string, string[]>>();

/**
 * Finds every string of the section(s) that carries a flavor suffix. Scanning the raw bytes
 * for `___` is far cheaper than decoding each of vmlinux's 100k+ type names, and then the hash
 * name index answers exact-name lookups for each flavored spelling.
 */
function flavoredNames(btf: Btf): Map<string, string[]> {
  let index = flavoredByBtf.get(btf);
  if (index !== undefined) return index;
  index = new Map();
  const seen = new Set<string>();
  for (let s: BtfStrings | undefined = btf.strings; s !== undefined; s = s.base) {
    const bytes = Buffer.from(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
    for (let p = bytes.indexOf('___'); p !== -1; ) {
      const start = bytes.lastIndexOf(0, p) + 1;
      const end = bytes.indexOf(0, p);
      const name = bytes.toString('utf8', start, end);
      const len = essentialNameLength(name);
      if (len < name.length && !seen.has(name)) {
        seen.add(name);
        const key = name.slice(0, len);
        const list = index.get(key);
        if (list === undefined) index.set(key, [name]);
        else list.push(name);
      }
      p = end === -1 ? -1 : bytes.indexOf('___', end);
    }
  }
  flavoredByBtf.set(btf, index);
  return index;
}

/**
 * `bpf_core_add_cands` for one target: ids (ascending) of the types named `essential` or
 * `essential___<flavor>` whose kind is CO-RE compatible with `kind`. With `ownTypesOnly` (module
 * BTFs, split on vmlinux) the base's types are left out, as libbpf starts module searches after
 * vmlinux's last id.
 *
 * @example
 * ```ts
 * findTargetCandidates(loadKernelBtf(), 'nf_conn', 'STRUCT'); // ids of nf_conn and nf_conn___init
 * ```
 */
export function findTargetCandidates(btf: Btf, essential: string, kind: BtfKindName, ownTypesOnly = false): number[] {
  const ids: number[] = [];
  const keep = (id: number): boolean => (!ownTypesOnly || id >= btf.firstId) && kindsCoreCompatible(btf.kindOf(id), kind);
  if (!btf.namesIndexed) {
    // A BTF parsed for one load (libbpf's way) sees a handful of lookups: one pass over the names
    // beats building the flavor list (a sweep of all strings) and then the hash index.
    for (const id of btf.findByNameWithFlavors(essential, isAnyEnum(kind) ? ['ENUM', 'ENUM64'] : [kind])) {
      const name = btf.typeName(id);
      if (name.length !== essential.length && essentialName(name) !== essential) continue;
      if (keep(id)) ids.push(id);
    }
    return ids;
  }
  const names = [essential, ...(flavoredNames(btf).get(essential) ?? [])];
  for (const name of names) {
    for (const id of btf.findByName(name)) if (keep(id)) ids.push(id);
  }
  return ids.sort((a, b) => a - b);
}

/**
 * Candidate lists of two levels, as libbpf keeps them:
 * - per target set and (essential name, kind): the types a name search finds. These depend only
 *   on the target BTFs, so one cache can serve every object loaded against the same kernel.
 * - per local BTF and local type id: a copy of that list which relocations prune. Once a
 *   relocation matched some candidates, later relocations of the same local type consider only
 *   those (libbpf's `cand_cache` in `bpf_object__relocate_core`), which decides ambiguities.
 *   Pass one cache to every `relocateCore` call of one object to reproduce libbpf's results.
 *
 * @example
 * ```ts
 * const cache = new CoreCandidateCache();
 * for (const prog of programs) relocateCore({ ...prog, localBtf, targets, candidateCache: cache });
 * ```
 */
export class CoreCandidateCache {
  readonly #shared = new WeakMap<Btf, Map<string, readonly number[]>>();
  readonly #pruned = new WeakMap<Btf, PerLocalBtf>();

  /**
   * `bpf_core_find_cands`: candidates in the first target (vmlinux or a custom BTF); only when
   * it has none, in each further target (module BTFs), in order.
   */
  find(localBtf: Btf, localTypeId: number, targets: readonly CoreTarget[]): CoreCandidate[] {
    const entry = this.#entry(localBtf, targets);
    let list = entry.lists.get(localTypeId);
    if (list === undefined) {
      const t = localBtf.typeById(localTypeId);
      list = [];
      for (const [i, target] of targets.entries()) {
        for (const typeId of this.#sharedList(target.btf, essentialName(t.name), t.kind, i > 0)) list.push({ target, typeId });
        // Modules are searched only when vmlinux (or the custom BTF) has no candidate at all.
        if (i === 0 && list.length > 0) break;
      }
      entry.lists.set(localTypeId, list);
    }
    return list;
  }

  /**
   * A relocation already resolved against `targets` under `key` (local type id, kind, access
   * string, byte order): a subprogram's records come back once per program that calls it, and
   * libbpf resolves each record once. See {@link rememberResolution} for which are kept.
   */
  resolution(localBtf: Btf, targets: readonly CoreTarget[], key: string): CoreResolution | undefined {
    return this.#entry(localBtf, targets).resolutions.get(key);
  }

  /**
   * Keeps `resolution` for {@link resolution} when resolving the record again could not give
   * another answer: with at most one candidate, pruning cannot change the list it sees. (With
   * more, another record of the same type may prune the list in between, and the reported
   * candidate count or first match could differ, so those are resolved every time, as before.)
   */
  rememberResolution(localBtf: Btf, targets: readonly CoreTarget[], key: string, resolution: CoreResolution): void {
    if (resolution.candidates <= 1) this.#entry(localBtf, targets).resolutions.set(key, resolution);
  }

  #entry(localBtf: Btf, targets: readonly CoreTarget[]): PerLocalBtf {
    let entry = this.#pruned.get(localBtf);
    if (entry === undefined || !sameTargets(entry.targets, targets)) {
      entry = { targets: [...targets], lists: new Map(), resolutions: new Map() };
      this.#pruned.set(localBtf, entry);
    }
    return entry;
  }

  /** Keeps only `matched` for later relocations of this local type (when it is non-empty). */
  prune(localBtf: Btf, localTypeId: number, matched: readonly CoreCandidate[]): void {
    const lists = this.#pruned.get(localBtf)?.lists;
    if (lists !== undefined && matched.length > 0) lists.set(localTypeId, [...matched]);
  }

  #sharedList(btf: Btf, essential: string, kind: BtfKindName, ownTypesOnly: boolean): readonly number[] {
    let byName = this.#shared.get(btf);
    if (byName === undefined) {
      byName = new Map();
      this.#shared.set(btf, byName);
    }
    const key = `${ownTypesOnly ? 'own' : 'all'}\0${isAnyEnum(kind) ? 'ENUM' : kind}\0${essential}`;
    let ids = byName.get(key);
    if (ids === undefined) {
      ids = findTargetCandidates(btf, essential, kind, ownTypesOnly);
      byName.set(key, ids);
    }
    return ids;
  }
}

/** What the cache keeps per local BTF, for one list of targets. */
interface PerLocalBtf {
  readonly targets: readonly CoreTarget[];
  readonly lists: Map<number, CoreCandidate[]>;
  readonly resolutions: Map<string, CoreResolution>;
}

function sameTargets(a: readonly CoreTarget[], b: readonly CoreTarget[]): boolean {
  // The same target object is the same BTF: its `btf` is not read (it may be parsed on demand).
  return a.length === b.length && a.every((t, i) => t === b[i] || t.btf === b[i]?.btf);
}
