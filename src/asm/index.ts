/**
 * BPF instructions: opcode constants, the `Instruction` model, byte decoding/encoding in both
 * byte orders, and the kernel's disassembly syntax (`kernel/bpf/disasm.c`, as printed by bpftool).
 * Pure: bytes in, values out.
 *
 * The disassembler follows the current kernel's disasm.c (ISA v4, load-acquire/store-release,
 * may_goto, addr_space_cast, per-CPU moves, gotox), which is what a bpftool built from this
 * kernel's sources prints. Older bpftool builds (Debian's v7.1 carries Linux 6.1's copy) print
 * `BUG_...` or plain forms for those; test/cli/prog-dump.test.ts lists each difference.
 */
export {
  InsnClass,
  InsnSize,
  InsnMode,
  InsnSource,
  AluOp,
  JmpOp,
  AtomicOp,
  PseudoLdImm64,
  PseudoCall,
  CondPseudoJmp,
  BPF_ADDR_SPACE_CAST,
  BPF_ADDR_PERCPU,
  BPF_NOSPEC_MODE,
  INSN_SIZE,
  MAX_BPF_REG,
  LD_IMM64,
  insnClass,
  insnSize,
  insnMode,
  insnOp,
  insnSource,
} from './opcodes.js';
export { AsmError } from './errors.js';
export { type Instruction, type DecodedInstruction, isLdImm64, slotCount, instructionProblem } from './instruction.js';
export { decodeInstructions, encodeInstructions, type Endianness, type DecodeOptions } from './codec.js';
export { formatInstruction, helperName, type DisasmCallbacks, type FormatOptions } from './disasm.js';
export {
  xlatedCallbacks,
  dumpXlatedPlain,
  dumpXlatedJson,
  type XlatedDumpContext,
  type XlatedDumpOptions,
  type XlatedFuncInfo,
  type XlatedLineInfo,
  type XlatedJsonInsn,
} from './xlated.js';
