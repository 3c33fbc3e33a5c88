/**
 * Verifier logs, parsed and explained. Pure: text in, values out; the loader passes the log
 * buffer of a failed `BPF_PROG_LOAD` and throws the {@link VerifierError} built from it.
 */
export { parseVerifierLog } from './parse.js';
export { parseRegisterValue, parseVerifierState } from './register-state.js';
export { explainVerifierLog, formatSource, VerifierFailureKind } from './explain.js';
export type { CoreFailure, ExplainContext, VerifierExplanation } from './explain.js';
export { decodePoisonedCall, PoisonMarker } from './poison.js';
export type { PoisonedCall } from './poison.js';
export { VerifierError } from './verifier-error.js';
export type { VerifierErrorInit } from './verifier-error.js';
export type {
  ErrorRecord,
  FunctionRecord,
  InstructionRecord,
  LiveRegistersRecord,
  NoteRecord,
  RegisterMap,
  RegisterState,
  RegisterValue,
  ScalarBounds,
  SourceLocation,
  StackSlot,
  StateRecord,
  SummaryRecord,
  SourceRecord,
  UnknownRecord,
  VerifierLog,
  VerifierLogRecord,
  VerifierState,
} from './records.js';
