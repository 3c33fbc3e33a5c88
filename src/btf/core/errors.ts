import { BpfTsError } from '../../errors/index.js';

/** Where a CO-RE relocation failed; every field is optional context. */
export interface CoreRelocationErrorContext {
  /** The program (function) whose instruction was being relocated. */
  readonly program?: string;
  /** Index of the relocated instruction, in 8-byte slots from the program's first one. */
  readonly insnIndex?: number;
  /** libbpf's name of the relocation kind (`byte_off`, `type_size`, ...). */
  readonly kind?: string;
  /** The access string of the relocation record (`0:1:2`). */
  readonly accessString?: string;
  /** The local root type, as libbpf prints it (`struct task_struct___local`). */
  readonly localType?: string;
}

/**
 * A CO-RE relocation that cannot be applied: a malformed record, an ambiguous candidate set, an
 * instruction that does not look like what the compiler should have emitted. (A field or type
 * that merely does not exist in the target is not an error: its instruction is poisoned, as
 * libbpf does.) The message ends with the program, instruction, kind, local type and access
 * string, so it can be matched against libbpf's `relo #N` lines.
 *
 * @example
 * ```ts
 * try { relocateCore(input) } catch (e) { if (e instanceof CoreRelocationError) console.error(e.insnIndex, e.localType); }
 * ```
 */
export class CoreRelocationError extends BpfTsError {
  readonly program: string | undefined;
  readonly insnIndex: number | undefined;
  readonly kind: string | undefined;
  readonly accessString: string | undefined;
  readonly localType: string | undefined;

  constructor(message: string, context: CoreRelocationErrorContext = {}, options?: ErrorOptions) {
    const where: string[] = [];
    if (context.program !== undefined) where.push(`prog '${context.program}'`);
    if (context.insnIndex !== undefined) where.push(`insn #${context.insnIndex}`);
    if (context.kind !== undefined) where.push(`<${context.kind}>`);
    if (context.localType !== undefined) where.push(context.localType);
    if (context.accessString !== undefined) where.push(`access ${context.accessString}`);
    super(where.length > 0 ? `${message} (${where.join(', ')})` : message, options);
    this.program = context.program;
    this.insnIndex = context.insnIndex;
    this.kind = context.kind;
    this.accessString = context.accessString;
    this.localType = context.localType;
  }
}

/**
 * Raised by the inner phases (spec parsing, matching, patching), which do not know which
 * program or instruction they serve; `relocateCore` rethrows it as a `CoreRelocationError`
 * with that context.
 */
export class CoreFault extends Error {}
