import { BpfTsError } from '../errors/index.js';

/** Which map an error is about: what `struct bpf_map_info` says of it (`name`, `id`). */
export interface MapIdentity {
  /** `bpf_map_info.name` (may be empty). */
  readonly name: string;
  /** `bpf_map_info.id`. */
  readonly id: number;
}

/** Hex of a key for messages (`01 00 00 00`), cut after 32 bytes so a huge key stays readable. */
export function keyHex(key: Uint8Array): string {
  const shown = Array.from(key.subarray(0, 32), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return key.byteLength > 32 ? `${shown} ...` : shown;
}

function describe(map: MapIdentity): string {
  return map.name === '' ? `map id ${map.id}` : `map '${map.name}' (id ${map.id})`;
}

/**
 * A map operation failed: the kernel refused it (`errno`/`code` set, e.g. `EEXIST` for an
 * update with `NOEXIST` on a present key, `E2BIG` when the map is full), or the call was wrong
 * before reaching the kernel (a key of the wrong size: `code` is `'EINVAL'` and `errno` 0).
 * The message names the map, the operation and the key.
 *
 * @example
 * ```ts
 * try { map.update(key, value, UpdateFlag.NOEXIST) } catch (e) { if (e instanceof MapError && e.code === 'EEXIST') ... }
 * ```
 */
export class MapError extends BpfTsError {
  constructor(
    /** The map (`name`, `id`). */
    readonly map: MapIdentity,
    /** The operation: `'lookup'`, `'update'`, `'BPF_MAP_LOOKUP_BATCH'`, ... */
    readonly operation: string,
    /** What went wrong (the kernel's error text, or our check's). */
    reason: string,
    /** Positive errno from the kernel; 0 when we refused the call ourselves. */
    readonly errno: number,
    /** `'EEXIST'`, `'ENOENT'`, ...; `'EINVAL'` for our own argument checks. */
    readonly code: string,
    /** The key involved, when there is one. */
    readonly key?: Uint8Array,
    options?: ErrorOptions,
  ) {
    super(`${describe(map)}: ${operation}${key === undefined || key.byteLength === 0 ? '' : ` key ${keyHex(key)}`}: ${reason}`, options);
  }
}

/**
 * Iterating a map visited more keys than it can hold: concurrent deletions kept restarting the
 * kernel's `BPF_MAP_GET_NEXT_KEY` walk from the first key (cilium's `ErrIterationAborted`).
 */
export class MapIterationError extends MapError {}
