import { BpfTsError } from '../errors/index.js';

/**
 * Misuse of a generated skeleton or a skeleton that does not fit its object: reading `maps`
 * before `load()`, writing `.rodata` after load, an object whose BTF lacks a type the skeleton
 * was generated for. `skeleton` is the object name, `member` the accessor involved.
 *
 * @example
 * ```ts
 * try { skel.maps } catch (e) { if (e instanceof SkeletonError) console.log(e.member) } // 'maps'
 * ```
 */
export class SkeletonError extends BpfTsError {
  constructor(
    /** The skeleton's object name. */
    readonly skeleton: string,
    /** The accessor involved (`maps`, `rodata.min_duration_ns`, ...), `''` for the whole skeleton. */
    readonly member: string,
    /** What is wrong. */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`skeleton '${skeleton}'${member === '' ? '' : ` ${member}`}: ${reason}`, options);
  }
}

/** A failure of `bpf-ts gen`: an object without BTF, a `--type` naming no type, ... */
export class SkeletonGenerateError extends BpfTsError {
  constructor(
    /** The object file (or name) being generated for. */
    readonly object: string,
    /** What is wrong. */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${object}: ${reason}`, options);
  }
}
