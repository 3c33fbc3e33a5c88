/**
 * The structured form of a kernel verifier log (`bpf_attr.log_buf` after `BPF_PROG_LOAD`),
 * as printed by kernel/bpf/verifier.c and kernel/bpf/log.c of Linux 6.x at log levels 1
 * (`BPF_LOG_LEVEL1`: every walked instruction with the registers it wrote) and 2
 * (`BPF_LOG_LEVEL2`: full state at every instruction, liveness, precision backtracking).
 */

/** Where a `; code @ file:line` comment (from `.BTF.ext` line info) points. */
export interface SourceLocation {
  /** The source text as the kernel printed it (from the object's BTF strings), trimmed. */
  readonly text: string;
  /** File name without directories, as the compiler recorded it; absent on pre-6.3 kernels. */
  readonly file?: string;
  /** 1-based line; 0 means the compiler attached no line (such comments are not used as locations). */
  readonly line?: number;
}

/** The 64-bit scalar bounds the verifier tracks for a register (`struct bpf_reg_state`). */
export interface ScalarBounds {
  readonly smin?: bigint;
  readonly smax?: bigint;
  readonly umin?: bigint;
  readonly umax?: bigint;
  readonly smin32?: bigint;
  readonly smax32?: bigint;
  readonly umin32?: bigint;
  readonly umax32?: bigint;
  /** `var_off=(value; mask)`: the tnum of known bits. */
  readonly varOff?: { readonly value: bigint; readonly mask: bigint };
}

/** The map a `map_ptr`/`map_value` register refers to: `map=NAME,ks=4,vs=8`. */
export interface RegisterMap {
  readonly name: string;
  readonly keySize?: number;
  readonly valueSize?: number;
}

/**
 * What one register (or spilled stack slot) holds: `R1_w=scalar(smin=0,umax=255)`,
 * `R0=map_value_or_null(id=1,map=counts,ks=4,vs=8)`, `R2=fp-8`, `R0=5`.
 */
export interface RegisterValue {
  /** The text after `=`, unchanged. */
  readonly raw: string;
  /**
   * The type with any `_or_null` marker kept (`scalar`, `ctx`, `map_value_or_null`, `fp`,
   * `pkt`, `pkt_end`, `map_ptr`, `ptr_or_null_task_struct`, `ringbuf_mem`, ...). A bare number
   * is a `scalar` with a known `value`; `fp-8` is type `fp` with `offset` -8.
   */
  readonly type: string;
  /** True for the `..._or_null` types: the value must be compared with NULL before use. */
  readonly nullable: boolean;
  /** The constant, when the verifier knows it exactly. */
  readonly value?: bigint;
  /** Offset from the base pointer (`fp-8`, `off=`). */
  readonly offset?: number;
  readonly id?: number;
  /** Id of the acquired reference this pointer belongs to (`ref_obj_id=`). */
  readonly refObjId?: number;
  readonly map?: RegisterMap;
  readonly bounds: ScalarBounds;
  /** Every `key=value` inside the parentheses, unparsed (`r=` packet range, `imm=`, ...). */
  readonly fields: Readonly<Record<string, string>>;
}

/** One register of a state: `R1_w=ctx()`. */
export interface RegisterState extends RegisterValue {
  /** `R0`..`R10`. */
  readonly reg: string;
  readonly regno: number;
  /** Liveness suffix without the underscore (`w`, `r`, `rw`, `D`), when printed. */
  readonly liveness?: string;
}

/** One 8-byte stack slot: `fp-8=mmmm????` (slot types) or `fp-16=ctx()` (a spilled register). */
export interface StackSlot {
  /** Negative offset from the frame pointer, e.g. -8. */
  readonly offset: number;
  readonly liveness?: string;
  /**
   * Per-byte slot types from most to least significant (`m` misc, `0` zero, `?` invalid,
   * `r` spill, `d` dynptr, `i` iterator, `f` irq flag); absent when a register was spilled.
   */
  readonly slotTypes?: string;
  /** The spilled register, when the slot holds one. */
  readonly spilled?: RegisterValue;
  readonly raw: string;
}

/** A set of register and stack values, as printed after `;`, after `from X to Y:`, ... */
export interface VerifierState {
  /** Call frame number (`frame1:`), when printed; the main program is frame 0. */
  readonly frame?: number;
  readonly registers: readonly RegisterState[];
  readonly stack: readonly StackSlot[];
  /** Acquired reference ids still held (`refs=2,4`). */
  readonly refs: readonly number[];
  /** Tokens that were not registers, slots or refs, kept verbatim. */
  readonly other: readonly string[];
}

/** Fields common to every record: where it came from. */
interface RecordBase {
  /** 0-based line number in the log text. */
  readonly lineNo: number;
  /** The whole log line, without its newline. */
  readonly raw: string;
}

/** `12: (79) r1 = *(u64 *)(r6 +8)    ; R1_w=scalar() R6=ctx()` */
export interface InstructionRecord extends RecordBase {
  readonly kind: 'instruction';
  readonly insnIndex: number;
  /** The opcode byte in parentheses; absent for libbpf's `<invalid CO-RE relocation>` lines. */
  readonly opcode?: number;
  /** The disassembly, without index, opcode or trailing state. */
  readonly text: string;
  /**
   * Registers this instruction wrote (level 1) or the state after it, from after `;`. Parsed on
   * first access; undefined when nothing followed the instruction.
   */
  readonly state?: VerifierState | undefined;
}

/** `; int x = *p; @ prog.bpf.c:23`: the line info of the instructions that follow. */
export interface SourceRecord extends RecordBase {
  readonly kind: 'source';
  readonly source: SourceLocation;
}

/**
 * A state printed on its own: `from 4 to 7: R0=... R10=fp0` (a branch taken later),
 * `7: R0=...` (level 2, at an instruction), `cur state: ...`/`old state: ...` (loop detection).
 */
export interface StateRecord extends RecordBase {
  readonly kind: 'state';
  /** The instruction the state is at (the `to` of `from X to Y`). */
  readonly insnIndex?: number;
  /** The branch instruction (`from X`). */
  readonly fromInsn?: number;
  /** `cur state`, `old state`, `caller`, `callee`, ... when the line says so. */
  readonly label?: string;
  readonly state: VerifierState;
}

/** `func#1 @12`: where a subprogram starts. */
export interface FunctionRecord extends RecordBase {
  readonly kind: 'function';
  readonly funcIndex: number;
  readonly insnIndex: number;
}

/** Level 2's liveness table: `     12: .1....6... (79) r1 = *(u64 *)(r6 +8)`. */
export interface LiveRegistersRecord extends RecordBase {
  readonly kind: 'live-registers';
  readonly insnIndex: number;
  /** Register numbers live before the instruction. */
  readonly live: readonly number[];
  readonly text: string;
}

/** `processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0` */
export interface SummaryRecord extends RecordBase {
  readonly kind: 'summary';
  readonly insnsProcessed: number;
  readonly insnLimit?: number;
  /** Every other `name N` pair of the line (`max_states_per_insn`, `total_states`, ...). */
  readonly counters: Readonly<Record<string, number>>;
}

/**
 * Level 4 statistics (`verification time 107 usec`, `stack depth 8+16`) and level 2 diagnostics
 * about the verifier's own bookkeeping (`mark_precise:` backtracking, 6.18's stack liveness pass).
 */
export interface NoteRecord extends RecordBase {
  readonly kind: 'note';
  readonly topic: 'verification-time' | 'stack-depth' | 'precision' | 'stack-liveness' | 'live-registers-heading';
}

/** A line that states why the program was rejected. */
export interface ErrorRecord extends RecordBase {
  readonly kind: 'error';
  readonly message: string;
}

/** Anything else, kept as it was (older/newer kernel messages, truncated lines). */
export interface UnknownRecord extends RecordBase {
  readonly kind: 'unknown';
}

/** One parsed log line (a few lines yield two records: an instruction and the source comment the kernel glued to it). */
export type VerifierLogRecord =
  | InstructionRecord
  | SourceRecord
  | StateRecord
  | FunctionRecord
  | LiveRegistersRecord
  | SummaryRecord
  | NoteRecord
  | ErrorRecord
  | UnknownRecord;

/** The whole log: every record plus what a diagnosis needs, precomputed. */
export interface VerifierLog {
  readonly records: readonly VerifierLogRecord[];
  /** The error lines' messages in log order (usually one or two). */
  readonly errors: readonly string[];
  /** Index of the instruction the verifier was at when it gave up (the last one it printed). */
  readonly failedInsn?: number;
  /** The last source line (line > 0) printed before that instruction. */
  readonly failedSource?: SourceLocation;
  /** From the `processed N insns` summary. */
  readonly insnsProcessed?: number;
  /**
   * True when the log shows signs of having been cut by the log buffer: no summary line (a fixed
   * buffer drops the tail), or a walk that does not start at instruction 0 (the rotating log,
   * the default since 6.4, drops the head).
   */
  readonly truncated: boolean;
}
