import { BpfTsError } from '../errors/index.js';

/** Global options and output streams shared by every CLI command (bpftool's `-j -p -f -d`). */
export interface CliContext {
  /** `-j/--json`: machine-readable output with bpftool's field names. */
  readonly json: boolean;
  /** `-p/--pretty`: indented JSON (implies json). */
  readonly pretty: boolean;
  /** `-f/--bpffs`: show the bpffs paths objects are pinned at. */
  readonly bpffs: boolean;
  /** `-d/--debug`: print full logs and stack traces. */
  readonly debug: boolean;
  /** Where results go (stdout in the real CLI, a buffer in tests). */
  readonly out: (text: string) => void;
  /** Where diagnostics go. */
  readonly err: (text: string) => void;
}

/**
 * A failure to report as one line (`Error: <message>` like bpftool, or `{"error": ...}` with -j)
 * and the given exit code, without a stack trace unless `-d`.
 */
export class CliError extends BpfTsError {
  constructor(
    message: string,
    readonly exitCode = 255,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A handler for one object (`prog`, `map`, ...): receives the words after the object name. */
export type CommandHandler = (args: readonly string[], ctx: CliContext) => Promise<number>;
