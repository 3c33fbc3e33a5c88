import { MapType } from '../sys/uapi.js';

/** `BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`, `BPF_F_LOCK`: the `flags` of `BPF_MAP_UPDATE_ELEM`. */
export const UpdateFlag = {
  /** `BPF_ANY`: create or replace. */
  ANY: 0,
  /** `BPF_NOEXIST`: create only (`EEXIST` if present). */
  NOEXIST: 1,
  /** `BPF_EXIST`: replace only (`ENOENT` if absent). */
  EXIST: 2,
  /** `BPF_F_LOCK`: take the value's `struct bpf_spin_lock` (maps whose value type has one). */
  F_LOCK: 4,
} as const;
export type UpdateFlag = (typeof UpdateFlag)[keyof typeof UpdateFlag];

/** `BPF_F_LOCK`, the one `flags` bit of `BPF_MAP_LOOKUP_ELEM` and of the batch `elem_flags`. */
export const LookupFlag = { F_LOCK: 4 } as const;
export type LookupFlag = (typeof LookupFlag)[keyof typeof LookupFlag];

/** Map types whose values hold one slot per possible CPU (bpftool's `map_is_per_cpu()`). */
export function isPerCpuMapType(type: number): boolean {
  return type === MapType.PERCPU_HASH || type === MapType.PERCPU_ARRAY || type === MapType.LRU_PERCPU_HASH || type === MapType.PERCPU_CGROUP_STORAGE;
}

/** Map-in-map types: updates take a map fd, lookups return the inner map's id. */
export function isMapOfMapsType(type: number): boolean {
  return type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS;
}

/** Types whose values are fds on update (progs, maps, perf events, cgroups, sockets, devices, CPUs). */
export function isFdValueMapType(type: number): boolean {
  switch (type) {
    case MapType.PROG_ARRAY:
    case MapType.PERF_EVENT_ARRAY:
    case MapType.CGROUP_ARRAY:
    case MapType.ARRAY_OF_MAPS:
    case MapType.HASH_OF_MAPS:
    case MapType.SOCKMAP:
    case MapType.SOCKHASH:
    case MapType.REUSEPORT_SOCKARRAY:
      return true;
    default:
      return false;
  }
}

/** Keyless types used with push/pop/peek: `QUEUE`, `STACK` (and `BLOOM_FILTER` push/peek). */
export function isQueueLikeMapType(type: number): boolean {
  return type === MapType.QUEUE || type === MapType.STACK || type === MapType.BLOOM_FILTER;
}

/** 8-byte rounding of one CPU's slot in a per-CPU value (`round_up(value_size, 8)`). */
export function perCpuStride(valueSize: number): number {
  return (valueSize + 7) & ~7;
}
