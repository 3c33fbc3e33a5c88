import { BtfError } from './errors.js';

/**
 * BTF that cannot be written as C: a cycle of types that no forward declaration can break
 * (e.g. a struct that embeds itself), or a type where C syntax needs a declarable one (a VAR
 * inside a pointer chain). libbpf's `btf_dump` logs these and carries on with broken output;
 * we stop, because a half-written header fails later in clang with a far worse message.
 *
 * @example
 * ```ts
 * try { dumpBtfAsC(btf) } catch (e) { if (e instanceof BtfDumpError) console.error(e.typeId, e.message); }
 * ```
 */
export class BtfDumpError extends BtfError {
  constructor(message: string, typeId: number) {
    super(message, { typeId });
  }
}
