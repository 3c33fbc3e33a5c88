import type { Btf } from '../btf.js';
import { BpfCoreReloKind } from '../ext.js';
import { fieldsAreCompatible, typesAreCompatible } from './compat.js';
import { essentialNameLength } from './essential-name.js';
import { CoreFault } from './errors.js';
import { isEnumvalBased, isFieldBased, isTypeBased } from './kinds.js';
import { CORE_SPEC_MAX_LEN, isFlexArray, type CoreAccessor, type CoreSpec, type MutableCoreSpec } from './spec.js';
import { resolveSize, skipModsAndTypedefs } from './btf-walk.js';
import { typesMatch } from './types-match.js';

/**
 * `bpf_core_match_member`: finds the local named member `localAcc` among the members of target
 * composite `targetId`, descending into anonymous members, and extends `spec` with the path
 * taken. Returns the matched member's type id, `undefined` when there is no compatible member.
 */
function matchMember(localBtf: Btf, localAcc: CoreAccessor, targetBtf: Btf, targetId: number, spec: MutableCoreSpec): number | undefined {
  const target = skipModsAndTypedefs(targetBtf, targetId);
  const tt = target.type;
  if (tt === undefined || (tt.kind !== 'STRUCT' && tt.kind !== 'UNION')) return undefined;
  const lt = localBtf.typeById(localAcc.typeId);
  if (lt.kind !== 'STRUCT' && lt.kind !== 'UNION') throw new CoreFault(`local accessor type [${localAcc.typeId}] is not a struct/union`);
  const localMember = lt.members[localAcc.index];
  if (localMember === undefined) throw new CoreFault(`local member index ${localAcc.index} out of range`);
  for (let i = 0; i < tt.members.length; i++) {
    const m = tt.members[i] as (typeof tt.members)[number];
    if (spec.raw.length === CORE_SPEC_MAX_LEN) throw new CoreFault(`target access path deeper than ${CORE_SPEC_MAX_LEN}`);
    // Speculate that this member is the one; undo below if it is not.
    spec.bitOffset += m.bitOffset;
    spec.raw.push(i);
    if (m.name === '') {
      const found = matchMember(localBtf, localAcc, targetBtf, m.type, spec);
      if (found !== undefined) return found;
    } else if (m.name === localMember.name) {
      if (!fieldsAreCompatible(localBtf, localMember.type, targetBtf, m.type)) return undefined;
      spec.accessors.push({ typeId: target.id, index: i, name: m.name });
      return m.type;
    }
    spec.bitOffset -= m.bitOffset;
    spec.raw.pop();
  }
  return undefined;
}

/**
 * `bpf_core_spec_match`: tries to follow the local spec through target type `targetId`. For
 * field relocations every named member must exist (searched by name, through anonymous members)
 * with a compatible type and every array index must be in bounds; enum relocations need an
 * enumerator of the same essential name; type relocations need compatible (or, for
 * TYPE_MATCHES, matching) types. Returns the target spec, or `undefined` when the candidate
 * does not match.
 */
export function matchCoreSpec(local: CoreSpec, targetBtf: Btf, targetId: number): CoreSpec | undefined {
  const spec: MutableCoreSpec = { btf: targetBtf, rootTypeId: targetId, kind: local.kind, accessors: [], raw: [], bitOffset: 0 };
  if (isTypeBased(local.kind)) {
    const ok = local.kind === BpfCoreReloKind.TYPE_MATCHES
      ? typesMatch(local.btf, local.rootTypeId, targetBtf, targetId)
      : typesAreCompatible(local.btf, local.rootTypeId, targetBtf, targetId);
    return ok ? spec : undefined;
  }
  const first = local.accessors[0];
  if (first === undefined) throw new CoreFault('local spec has no accessor');
  if (isEnumvalBased(local.kind)) {
    const target = skipModsAndTypedefs(targetBtf, targetId);
    const tt = target.type;
    if (tt === undefined || (tt.kind !== 'ENUM' && tt.kind !== 'ENUM64')) return undefined;
    const localName = first.name ?? '';
    const len = essentialNameLength(localName);
    for (let i = 0; i < tt.values.length; i++) {
      const name = (tt.values[i] as { name: string }).name;
      if (essentialNameLength(name) !== len || name.slice(0, len) !== localName.slice(0, len)) continue;
      spec.accessors.push({ typeId: target.id, index: i, name });
      spec.raw.push(i);
      return spec;
    }
    return undefined;
  }
  if (!isFieldBased(local.kind)) throw new CoreFault(`unknown relocation kind ${local.kind}`);

  let id = targetId;
  for (let i = 0; i < local.accessors.length; i++) {
    const acc = local.accessors[i] as CoreAccessor;
    const cur = skipModsAndTypedefs(targetBtf, id);
    id = cur.id;
    if (acc.name !== undefined) {
      const next = matchMember(local.btf, acc, targetBtf, id, spec);
      if (next === undefined) return undefined;
      id = next;
      continue;
    }
    // The first accessor indexes the root itself (`&p[0]`); later ones index an array.
    if (i > 0) {
      const t = cur.type;
      if (t === undefined || t.kind !== 'ARRAY') return undefined;
      if (!isFlexArray(targetBtf, spec.accessors[spec.accessors.length - 1], t.nelems) && acc.index >= t.nelems) return undefined;
      id = skipModsAndTypedefs(targetBtf, t.type).id;
    }
    if (spec.raw.length === CORE_SPEC_MAX_LEN) throw new CoreFault(`target access path deeper than ${CORE_SPEC_MAX_LEN}`);
    spec.accessors.push({ typeId: id, index: acc.index });
    spec.raw.push(acc.index);
    spec.bitOffset += acc.index * resolveSize(targetBtf, id) * 8;
  }
  return spec;
}
