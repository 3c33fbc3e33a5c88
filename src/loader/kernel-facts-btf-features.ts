/**
 * libbpf's `FEAT_BTF_*` probes: which BTF kinds the running kernel accepts, each answered by
 * loading a tiny BTF blob that uses the kind (`probe_kern_btf_*` in libbpf's features.c).
 * Only asked when the object's BTF was refused as it is.
 */
import { encodeBtf } from '../btf/encode.js';
import type { BtfFeatures } from '../btf/sanitize.js';
import type { BtfType } from '../btf/types.js';
import { tryBtfLoad } from '../sys/btf-load.js';
import { native } from '../sys/native.js';

const INT: BtfType = { kind: 'INT', id: 1, name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 };

/** The probe blobs: each uses one kind or feature on top of an `int` (type 1). */
export const BTF_FEATURE_PROBES: Readonly<Record<keyof BtfFeatures, readonly BtfType[]>> = {
  func: [INT, { kind: 'FUNC_PROTO', id: 2, name: '', returnType: 1, params: [{ name: 'x', type: 1 }] }, { kind: 'FUNC', id: 3, name: 'f', type: 2, linkage: 0 }],
  funcGlobal: [INT, { kind: 'FUNC_PROTO', id: 2, name: '', returnType: 1, params: [{ name: 'x', type: 1 }] }, { kind: 'FUNC', id: 3, name: 'f', type: 2, linkage: 1 }],
  datasec: [INT, { kind: 'VAR', id: 2, name: 'x', type: 1, linkage: 1 }, { kind: 'DATASEC', id: 3, name: '.data', size: 4, vars: [{ type: 2, offset: 0, size: 4 }] }],
  float: [{ kind: 'FLOAT', id: 1, name: 'float', size: 4 }],
  declTag: [INT, { kind: 'VAR', id: 2, name: 'x', type: 1, linkage: 1 }, { kind: 'DECL_TAG', id: 3, name: 'tag', type: 2, componentIdx: -1, kindFlag: false }],
  typeTag: [INT, { kind: 'TYPE_TAG', id: 2, name: 'tag', type: 1, kindFlag: false }, { kind: 'PTR', id: 3, name: '', type: 2 }],
  enum64: [{ kind: 'ENUM64', id: 1, name: 'e', size: 8, signed: false, values: [{ name: 'V', value: 1n << 40n }] }],
  qmarkDatasec: [INT, { kind: 'VAR', id: 2, name: 'x', type: 1, linkage: 1 }, { kind: 'DATASEC', id: 3, name: '?.data', size: 4, vars: [{ type: 2, offset: 0, size: 4 }] }],
};

let cached: BtfFeatures | undefined;

/**
 * Probes every BTF feature once per process (each probe closes its BTF fd at once).
 *
 * @example
 * ```ts
 * if (!probeBtfFeatures().enum64) types = sanitizeBtf(btf, probeBtfFeatures());
 * ```
 */
export function probeBtfFeatures(): BtfFeatures {
  if (cached !== undefined) return cached;
  const result: Record<string, boolean> = {};
  for (const [name, types] of Object.entries(BTF_FEATURE_PROBES)) {
    const r = tryBtfLoad({ data: encodeBtf(types) });
    if (r.ok) native().close(r.fd);
    result[name] = r.ok;
  }
  cached = result as unknown as BtfFeatures;
  return cached;
}
