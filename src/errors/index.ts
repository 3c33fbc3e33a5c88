/**
 * The root of every error bpf-ts throws on purpose. Layers subclass it with their own context
 * (`ElfError` carries file/section/offset, `SysError` errno and command, ...), so callers can
 * tell our diagnostics from bugs with one `instanceof`.
 *
 * @example
 * ```ts
 * try { parseElf(bytes) } catch (e) { if (e instanceof BpfTsError) console.error(e.message); else throw e; }
 * ```
 */
export class BpfTsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
