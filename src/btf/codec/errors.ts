import { BpfTsError } from '../../errors/index.js';

/**
 * A value that cannot be encoded as (or bytes that cannot be decoded as) a BTF type: an integer
 * out of range, a missing or unknown struct member, a string longer than its `char[]`, a type
 * with no value representation (`FWD`, `FUNC`, `void`). `path` locates the field from the
 * root (`.hdr.flags[2]`); the message ends with it.
 *
 * @example
 * ```ts
 * try { codec.encode({ pid: -1 }) } catch (e) { if (e instanceof CodecError) console.log(e.path) } // '.pid'
 * ```
 */
export class CodecError extends BpfTsError {
  constructor(
    /** The root type's id. */
    readonly typeId: number,
    /** The root type, as C would name it (`struct event`). */
    readonly typeName: string,
    /** Where inside the value: `''` for the root, `.member`, `[index]`, chained. */
    readonly path: string,
    /** What is wrong. */
    readonly reason: string,
  ) {
    super(`${typeName}${path === '' ? '' : ` at ${path}`}: ${reason}`);
  }
}

/**
 * Thrown inside the compiled encoders/decoders while the path is still being assembled; the
 * codec's entry point turns it into a {@link CodecError}. Internal.
 */
export class CodecPathError extends Error {
  path = '';
  constructor(readonly reason: string) {
    super(reason);
  }

  /** Adds an outer path segment (`.name` or `[i]`) while unwinding. */
  within(segment: string): CodecPathError {
    this.path = segment + this.path;
    return this;
  }
}
