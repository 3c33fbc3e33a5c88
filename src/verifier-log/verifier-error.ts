import { BpfTsError } from '../errors/index.js';
import { explainVerifierLog, formatSource } from './explain.js';
import type { ExplainContext, VerifierExplanation } from './explain.js';
import { parseVerifierLog } from './parse.js';
import type { VerifierLog } from './records.js';

/** What the loader knows when `BPF_PROG_LOAD` fails. */
export interface VerifierErrorInit {
  /** The program's name (the ELF symbol). */
  readonly program: string;
  /** `bpf_attr.log_buf` as text (anything after the first NUL is ignored). */
  readonly rawLog: string;
  /** The errno of the failed `BPF_PROG_LOAD` (EACCES for most verifier rejections, EINVAL, E2BIG, ...). */
  readonly errno?: number;
  /** Loader facts the log lacks: poisoned CO-RE relocations, map and extern names. */
  readonly context?: ExplainContext;
  /** The underlying error (the addon's syscall error), kept as `cause`. */
  readonly cause?: unknown;
}

function headline(program: string, explanation: VerifierExplanation): string {
  const where = explanation.source?.file !== undefined
    ? ` at ${explanation.source.file}:${explanation.source.line ?? 0}`
    : explanation.source !== undefined
      ? ` at "${formatSource(explanation.source)}"`
      : explanation.insnIndex !== undefined
        ? ` at instruction ${explanation.insnIndex}`
        : '';
  return `program '${program}' rejected by the verifier${where}: ${explanation.summary}`;
}

/**
 * A program the kernel's verifier rejected: the parsed log, the raw text and the explanation.
 * The message is `program 'NAME' rejected by the verifier at FILE:LINE: <summary>` followed by
 * the explanation paragraph on the next line.
 *
 * @example
 * ```ts
 * try {
 *   loadProgram(spec);
 * } catch (e) {
 *   if (e instanceof VerifierError) {
 *     console.error(e.message);          // names the source line and why
 *     console.error(e.explanation.kind); // 'null-pointer-unchecked'
 *     console.error(e.rawLog);           // the kernel's own words
 *   }
 * }
 * ```
 */
export class VerifierError extends BpfTsError {
  /** The rejected program's name. */
  readonly program: string;
  /** The parsed log. */
  readonly log: VerifierLog;
  /** The log as the kernel wrote it. */
  readonly rawLog: string;
  readonly explanation: VerifierExplanation;
  /** errno of the failed load, when known. */
  readonly errno: number | undefined;

  constructor(init: VerifierErrorInit) {
    const log = parseVerifierLog(init.rawLog);
    const explanation = explainVerifierLog(log, init.context);
    super(`${headline(init.program, explanation)}\n${explanation.paragraph}`, init.cause !== undefined ? { cause: init.cause } : undefined);
    this.program = init.program;
    this.log = log;
    this.rawLog = init.rawLog;
    this.explanation = explanation;
    this.errno = init.errno;
  }
}
