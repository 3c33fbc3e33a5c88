import { BpfTsError } from '../errors/index.js';

/** Where in a BTF blob something went wrong; every field is optional context. */
export interface BtfErrorContext {
  /** Byte offset into the blob the parser was given (header included). */
  readonly offset?: number;
  /** The type id being decoded or resolved. */
  readonly typeId?: number;
}

/**
 * Malformed or unusable BTF (`.BTF`, `.BTF.ext`, `/sys/kernel/btf/*`), or a query BTF cannot
 * answer (size of a FUNC, a cyclic typedef). The message ends with the type id and byte offset
 * when known, so a report names the exact spot to look at with `xxd` or `bpftool btf dump`.
 *
 * @example
 * ```ts
 * try { parseBtf(bytes) } catch (e) { if (e instanceof BtfError) console.error(e.offset, e.typeId); }
 * ```
 */
export class BtfError extends BpfTsError {
  /** Byte offset into the parsed blob, when the error is about specific bytes. */
  readonly offset: number | undefined;
  /** Type id the error is about, when there is one. */
  readonly typeId: number | undefined;

  constructor(message: string, context: BtfErrorContext = {}, options?: ErrorOptions) {
    const where: string[] = [];
    if (context.typeId !== undefined) where.push(`type id ${context.typeId}`);
    if (context.offset !== undefined) where.push(`offset ${context.offset}`);
    super(where.length > 0 ? `${message} (${where.join(', ')})` : message, options);
    this.offset = context.offset;
    this.typeId = context.typeId;
  }
}
