/**
 * Map handles: lookup/update/delete/iterate/batch on live kernel maps, queue/stack/bloom
 * operations, pins, per-CPU values, and BTF-typed views (`typedMap`). Imports only src/sys,
 * src/btf and src/errors.
 */
export { BpfMap, type BpfMapCreateOptions, type BpfMapOpenOptions, type MapEntry, type MapBatchOptions } from './map.js';
export { MapBatchCursor } from './map-batch-cursor.js';
export { MapError, MapIterationError, keyHex, type MapIdentity } from './errors.js';
export { UpdateFlag, LookupFlag, isPerCpuMapType, isMapOfMapsType, isFdValueMapType, isQueueLikeMapType, perCpuStride } from './map-kinds.js';
export { TypedMap, typedMap, mapBtf, type TypedMapOptions } from './typed-map.js';
