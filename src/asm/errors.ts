import { BpfTsError } from '../errors/index.js';

/**
 * Malformed BPF instruction bytes or an instruction that cannot be encoded: odd length, a
 * truncated ldimm64, an invalid opcode or register, an out-of-range field. Carries the
 * instruction slot and the byte offset within the input.
 *
 * @example
 * ```ts
 * try { decodeInstructions(bytes, 'little') } catch (e) { if (e instanceof AsmError) console.error(e.slot); }
 * ```
 */
export class AsmError extends BpfTsError {
  constructor(
    /** What is wrong, without the location. */
    readonly reason: string,
    /** Instruction slot (8-byte unit) of the problem. */
    readonly slot: number,
    /** Byte offset of the problem within the input. */
    readonly offset: number = slot * 8,
    options?: ErrorOptions,
  ) {
    super(`instruction ${slot}: ${reason} (at offset 0x${offset.toString(16)})`, options);
  }
}
