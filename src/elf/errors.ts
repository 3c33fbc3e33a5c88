import { BpfTsError } from '../errors/index.js';

/** Where in an ELF file a problem was found. */
export interface ElfErrorContext {
  /** The file name given to `parseElf`, if any. */
  readonly fileName?: string | undefined;
  /** The name (or `#index` when the name is unknown) of the section being read. */
  readonly section?: string | undefined;
  /** Absolute byte offset in the file of the offending field or record. */
  readonly offset: number;
}

/**
 * A malformed ELF file (truncated, overlapping, out-of-range index, wrong class or machine, ...).
 * The message names the file, the section and the byte offset, as in
 * `prog.bpf.o: section '.symtab': symbol 3 has section index 99 out of range (at offset 0x1a0)`.
 *
 * @example
 * ```ts
 * try { parseElf(bytes, { fileName }) } catch (e) { if (e instanceof ElfError) console.error(e.offset); }
 * ```
 */
export class ElfError extends BpfTsError {
  /** The file name given to `parseElf`, if any. */
  readonly fileName: string | undefined;
  /** The section involved, if any. */
  readonly section: string | undefined;
  /** Absolute byte offset in the file. */
  readonly offset: number;
  /** The description without the file/section/offset decoration. */
  readonly reason: string;

  constructor(reason: string, context: ElfErrorContext, options?: ErrorOptions) {
    const where = [context.fileName, context.section === undefined ? undefined : `section '${context.section}'`]
      .filter((part) => part !== undefined)
      .join(': ');
    super(`${where === '' ? '' : `${where}: `}${reason} (at offset 0x${context.offset.toString(16)})`, options);
    this.fileName = context.fileName;
    this.section = context.section;
    this.offset = context.offset;
    this.reason = reason;
  }
}
