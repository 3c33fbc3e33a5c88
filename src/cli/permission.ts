/**
 * One convention for privilege failures in the attach/events commands, as the show commands
 * have (object-handle.ts): bpftool's message, then what to do, and exit code 1.
 */
import { isPermissionError } from '../sys/errors.js';
import { CliError } from './context.js';

/** Exit code of a permission failure (as `prog show` without root). */
export const PERMISSION_EXIT = 1;

/**
 * `message` as a {@link CliError}: with ` (run as root: NEED)` and exit 1 when `cause` is a
 * permission failure anywhere in its chain, else exit `exitCode`.
 *
 * @example
 * ```ts
 * throw permissionAware(`can't query prog: ${strerror(e.errno)}`, e, 'BPF_PROG_QUERY needs CAP_NET_ADMIN');
 * ```
 */
export function permissionAware(message: string, cause: unknown, need: string, exitCode = 255): CliError {
  if (isPermissionError(cause)) return new CliError(`${message} (run as root: ${need})`, PERMISSION_EXIT, { cause });
  return new CliError(message, exitCode, { cause });
}
