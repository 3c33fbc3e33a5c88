/**
 * What a generated skeleton says about its object, and the selection rules the generator and the
 * runtime share (so the generated types and the runtime accessors always name the same things).
 */
import type { BtfCodecOptions } from '../btf/codec/codec.js';
import type { BtfKindName } from '../btf/types.js';
import type { DataSection, VariableSpec } from '../loader/data-section.js';
import type { ObjectSpec } from '../loader/object-spec.js';

/**
 * Variables whose name starts with this mark a record type instead of being data:
 * `struct event *__bpf_ts_record__events;` says that map `events` (a ring buffer or perf event
 * array) carries `struct event` records. See docs/skeletons.md.
 */
export const RECORD_MARKER_PREFIX = '__bpf_ts_record__';

/** How the skeleton presents one map (see {@link SkeletonLayout}). */
export type SkeletonMapLayout =
  /** A `TypedMap` through the map's BTF key/value types. */
  | { readonly name: string; readonly kind: 'typed' }
  /** A ring buffer / perf event array whose records are the named BTF type. */
  | { readonly name: string; readonly kind: 'records'; readonly record: { readonly kind: BtfKindName; readonly name: string } }
  /** The byte-level `BpfMap`. */
  | { readonly name: string; readonly kind: 'raw' };

/**
 * The description a generated skeleton hands to {@link Skeleton}: accessor names mapped to the
 * object's program, map and section names.
 */
export interface SkeletonLayout {
  /** Object name (`bpftool gen skeleton ... name NAME`): internal maps are `<name>.rodata`, ... */
  readonly name: string;
  /** Program accessor -> program name. */
  readonly programs: Readonly<Record<string, string>>;
  /** Map accessor -> map description. */
  readonly maps: Readonly<Record<string, SkeletonMapLayout>>;
  /** Section accessor (`rodata`, `data_custom`) -> ELF section name (`.rodata`, `.data.custom`). */
  readonly sections: Readonly<Record<string, string>>;
  /** Type accessor -> BTF type, for types named with `--type` (`skel.codecs.Event`). */
  readonly types?: Readonly<Record<string, { readonly kind: BtfKindName; readonly name: string }>>;
  /** Codec options every accessor uses (`charArrays: 'bytes'` with `--char-bytes`). */
  readonly codec?: BtfCodecOptions;
}

/** Variables a skeleton exposes: non-static, with BTF, not a record marker (libbpf's rule plus ours). */
export function exposedVariables(section: DataSection): VariableSpec[] {
  return section.variables.filter((v) => !v.isStatic && v.btfTypeId !== 0 && !v.name.startsWith(RECORD_MARKER_PREFIX));
}

/** Data sections a skeleton exposes: `.data*`, `.rodata*`, `.bss*` with at least one exposed variable. */
export function exposedSections(spec: ObjectSpec): DataSection[] {
  return spec.dataSections.filter((d) => d.kind !== 'kconfig' && d.btfTypeId !== 0 && exposedVariables(d).length > 0);
}
