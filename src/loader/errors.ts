import { BpfTsError } from '../errors/index.js';

/** Where in an object file a spec problem was found; every field is optional context. */
export interface ObjectSpecErrorContext {
  /** The file name given to `parseObjectSpec`. */
  readonly fileName?: string | undefined;
  /** ELF section being read (`.maps`, `socket`, `.rel.maps`, ...). */
  readonly section?: string | undefined;
  /** Byte offset inside that section (a relocation's `r_offset`, a map definition's start). */
  readonly offset?: number | undefined;
  /** The ELF symbol or BTF name involved (map, variable, extern). */
  readonly symbol?: string | undefined;
  /** The program the problem is in. */
  readonly program?: string | undefined;
}

/**
 * An object file that is valid ELF and BTF but does not follow libbpf's conventions: a static
 * program, a relocation against something that is not a map/data/function, an unknown field in a
 * BTF map definition, an extern without BTF, ... The message starts with the file and section
 * and names the symbol, like libbpf's warnings do:
 * `maps.bpf.o: section '.maps': map 'm': unknown field 'color' (at offset 0x20)`.
 *
 * @example
 * ```ts
 * try { parseObjectSpec(bytes, { fileName }) } catch (e) {
 *   if (e instanceof ObjectSpecError) console.error(e.section, e.symbol, e.reason);
 * }
 * ```
 */
export class ObjectSpecError extends BpfTsError {
  /** The file name given to `parseObjectSpec`, if any. */
  readonly fileName: string | undefined;
  /** The ELF section involved, if any. */
  readonly section: string | undefined;
  /** Byte offset inside `section`, if known. */
  readonly offset: number | undefined;
  /** The symbol, map, variable or extern involved, if any. */
  readonly symbol: string | undefined;
  /** The program involved, if any. */
  readonly program: string | undefined;
  /** The description without the file/section/offset decoration. */
  readonly reason: string;

  constructor(reason: string, context: ObjectSpecErrorContext = {}, options?: ErrorOptions) {
    const where: string[] = [];
    if (context.fileName !== undefined) where.push(context.fileName);
    if (context.section !== undefined) where.push(`section '${context.section}'`);
    if (context.program !== undefined) where.push(`program '${context.program}'`);
    const prefix = where.length > 0 ? `${where.join(': ')}: ` : '';
    const suffix = context.offset !== undefined ? ` (at offset 0x${context.offset.toString(16)})` : '';
    super(`${prefix}${reason}${suffix}`, options);
    this.fileName = context.fileName;
    this.section = context.section;
    this.offset = context.offset;
    this.symbol = context.symbol;
    this.program = context.program;
    this.reason = reason;
  }
}
