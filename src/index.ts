/**
 * bpf-ts: the public library API. This file only re-exports the layers' own indexes.
 *
 * @example
 * ```ts
 * import { loadObjectSpec, loadObject, RingBufferReader } from 'bpf-ts';
 * const spec = await loadObjectSpec('bootstrap.bpf.o');
 * spec.variables.get('min_duration_ns')!.set(1_000_000n);
 * using obj = await loadObject(spec);
 * ```
 */
export * from './errors/index.js';
export * from './sys/index.js';
export * from './elf/index.js';
export * from './btf/index.js';
export * from './asm/index.js';
export * from './verifier-log/index.js';
export * from './maps/index.js';
export * from './events/index.js';
export * from './links/index.js';
export * from './histogram/index.js';
export * from './loader/index.js';
export * from './compile/index.js';
export * from './skeleton/index.js';
export * from './signals/index.js';
// Two layers name their func/line info records alike: the kernel's (`bpf_prog_info`) keep the
// plain names, the object spec's are exported under `Spec*`.
export type { FuncInfoRecord, LineInfoRecord } from './sys/index.js';
export type { FuncInfoRecord as SpecFuncInfoRecord, LineInfoRecord as SpecLineInfoRecord } from './loader/index.js';
