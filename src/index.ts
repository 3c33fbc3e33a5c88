/**
 * bpf-ts: the public library API. This file only re-exports.
 */
export * from './btf/types.js';
