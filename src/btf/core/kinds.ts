import { BpfCoreReloKind } from '../ext.js';

/** libbpf's spelling of each relocation kind (`core_relo_kind_str`), as in its debug log. */
export const CORE_RELO_KIND_NAMES: Readonly<Record<BpfCoreReloKind, string>> = {
  [BpfCoreReloKind.FIELD_BYTE_OFFSET]: 'byte_off',
  [BpfCoreReloKind.FIELD_BYTE_SIZE]: 'byte_sz',
  [BpfCoreReloKind.FIELD_EXISTS]: 'field_exists',
  [BpfCoreReloKind.FIELD_SIGNED]: 'signed',
  [BpfCoreReloKind.FIELD_LSHIFT_U64]: 'lshift_u64',
  [BpfCoreReloKind.FIELD_RSHIFT_U64]: 'rshift_u64',
  [BpfCoreReloKind.TYPE_ID_LOCAL]: 'local_type_id',
  [BpfCoreReloKind.TYPE_ID_TARGET]: 'target_type_id',
  [BpfCoreReloKind.TYPE_EXISTS]: 'type_exists',
  [BpfCoreReloKind.TYPE_SIZE]: 'type_size',
  [BpfCoreReloKind.ENUMVAL_EXISTS]: 'enumval_exists',
  [BpfCoreReloKind.ENUMVAL_VALUE]: 'enumval_value',
  [BpfCoreReloKind.TYPE_MATCHES]: 'type_matches',
};

/** libbpf's name of a relocation kind, `unknown` for numbers past `BPF_CORE_TYPE_MATCHES`. */
export function coreReloKindName(kind: number): string {
  return CORE_RELO_KIND_NAMES[kind as BpfCoreReloKind] ?? 'unknown';
}

/** Relocations whose access string walks members and array elements. */
export function isFieldBased(kind: number): boolean {
  return kind >= BpfCoreReloKind.FIELD_BYTE_OFFSET && kind <= BpfCoreReloKind.FIELD_RSHIFT_U64;
}

/** Relocations about a whole type; their access string is always `0`. */
export function isTypeBased(kind: number): boolean {
  return (kind >= BpfCoreReloKind.TYPE_ID_LOCAL && kind <= BpfCoreReloKind.TYPE_SIZE) || kind === BpfCoreReloKind.TYPE_MATCHES;
}

/** Relocations about one enumerator; the access string is its index. */
export function isEnumvalBased(kind: number): boolean {
  return kind === BpfCoreReloKind.ENUMVAL_EXISTS || kind === BpfCoreReloKind.ENUMVAL_VALUE;
}
