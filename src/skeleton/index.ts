/**
 * Typed skeletons (`bpf-ts gen skeleton`): the generator (BTF -> TypeScript types and a
 * `Skeleton` subclass) and the runtime generated modules build on. See docs/skeletons.md.
 */
export { Skeleton, EventMap, RingBufferEvents, PerfBufferEvents, openSkeletonSpec, type SkeletonObjectSource, type SkeletonOpenOptions } from './skeleton.js';
export { RECORD_MARKER_PREFIX, exposedSections, exposedVariables, type SkeletonLayout, type SkeletonMapLayout } from './layout.js';
export { generateSkeleton, type GenerateSkeletonOptions } from './generate.js';
export { TsTypeEmitter, type TsTypeOptions } from './ts-types.js';
export { SkeletonError, SkeletonGenerateError } from './errors.js';
