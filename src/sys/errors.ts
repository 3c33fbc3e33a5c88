import { BpfTsError } from '../errors/index.js';
import type { NativeError } from './native.js';

/** Why a failing errno usually happens, phrased as what to do about it. */
const ERRNO_HINTS: Readonly<Record<string, string>> = {
  EPERM: 'needs root or CAP_BPF+CAP_PERFMON (CAP_SYS_ADMIN on older kernels)',
  EACCES: 'permission denied (for program loads: the verifier rejected the program)',
  ENOSYS: 'the kernel has no bpf() system call (CONFIG_BPF_SYSCALL is off)',
  E2BIG: 'the kernel does not know a field this call sets: it is too old for this feature',
};

/**
 * Hints that depend on the command: walking and opening objects by id needs CAP_SYS_ADMIN, which
 * CAP_BPF does not replace.
 */
const COMMAND_ERRNO_HINTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  EPERM: Object.fromEntries(
    ['PROG', 'MAP', 'LINK', 'BTF'].flatMap((k) => [
      [`BPF_${k}_GET_NEXT_ID`, 'needs root (CAP_SYS_ADMIN): listing BPF objects is not allowed to unprivileged users'],
      [`BPF_${k}_GET_FD_BY_ID`, 'needs root (CAP_SYS_ADMIN): opening BPF objects by id is not allowed to unprivileged users'],
    ]),
  ),
};

/**
 * A failed system call: the errno, its symbolic code, the syscall and (for `bpf()`) the command
 * name, plus a hint about the usual cause.
 *
 * @example
 * ```ts
 * try { progGetFdById(12345) } catch (e) { if (e instanceof SysError && e.code === 'ENOENT') ... }
 * ```
 */
export class SysError extends BpfTsError {
  constructor(
    message: string,
    /** Positive errno. */
    readonly errno: number,
    /** `'EPERM'`, `'ENOENT'`, ... */
    readonly code: string,
    /** `'bpf'`, `'perf_event_open'`, ... */
    readonly syscall: string,
    /** For `bpf()`: the command name, e.g. `'BPF_PROG_LOAD'`. */
    readonly command?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A feature this kernel (or machine) lacks, named so the user knows what to look for. */
export class NotSupportedError extends BpfTsError {
  constructor(
    /** The missing feature, e.g. `'kprobe PMU'` or `'BPF_MAP_TYPE_ARENA'`. */
    readonly feature: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** True for the shape of errors thrown by the native addon. */
export function isNativeError(e: unknown): e is NativeError {
  return e instanceof Error && typeof (e as Partial<NativeError>).errno === 'number' && typeof (e as Partial<NativeError>).code === 'string';
}

/**
 * What usually fixes a failing errno (`'EPERM'` -> needs root or CAP_BPF+CAP_PERFMON), for the
 * layers that wrap a failed call in their own error; `command` picks the per-command hint.
 */
export function errnoHint(code: string, command?: string): string | undefined {
  return (command !== undefined ? COMMAND_ERRNO_HINTS[code]?.[command] : undefined) ?? ERRNO_HINTS[code];
}

/**
 * True when `e` or an error in its `cause` chain is a permission failure: `EPERM`, or `EACCES`
 * from a file (tracefs, bpffs, sysfs are root-only). The process lacks the privileges (root,
 * CAP_BPF, ...), whatever layer wrapped the failure. (`EACCES` from `bpf()` is the verifier
 * rejecting a program, not a permission problem.)
 */
export function isPermissionError(e: unknown): boolean {
  for (let at = e, depth = 0; at instanceof Error && depth < 16; at = at.cause, depth++) {
    const { code, syscall } = at as { code?: unknown; syscall?: unknown };
    if (code === 'EPERM') return true;
    if (code === 'EACCES' && syscall !== 'bpf') return true;
  }
  return false;
}

/**
 * Converts an addon error into a {@link SysError} whose message says what was attempted and, for
 * the errnos that have one, what usually fixes it. `what` describes the operation
 * (`'BPF_PROG_GET_FD_BY_ID id 42'`).
 */
export function toSysError(e: unknown, syscall: string, what: string, command?: string): SysError {
  if (!isNativeError(e)) {
    const msg = e instanceof Error ? e.message : String(e);
    return new SysError(`${what}: ${msg}`, 0, 'UNKNOWN', syscall, command, { cause: e });
  }
  const hint = errnoHint(e.code, command);
  const detail = hint === undefined ? e.message : `${e.message}: ${hint}`;
  return new SysError(`${what} failed (${e.code}): ${detail}`, e.errno, e.code, syscall, command, { cause: e });
}
