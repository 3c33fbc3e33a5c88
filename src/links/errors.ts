import { BpfTsError } from '../errors/index.js';

/** Where an attach or link operation failed: the program and what it was attached to. */
export interface LinkErrorContext {
  /** The program's name, when known. */
  readonly program?: string | undefined;
  /** The hook: `'tracepoint syscalls/sys_enter_getpid'`, `'xdp ifindex 3'`, ... */
  readonly target?: string | undefined;
}

/**
 * An attach or link operation the kernel (or our own checks) refused. The message names the
 * program and the target; `cause` holds the underlying `SysError` when a syscall failed.
 *
 * @example
 * ```ts
 * try { attachXdp(prog, { ifindex: 999 }) } catch (e) { if (e instanceof LinkError) console.error(e.target, e.message); }
 * ```
 */
export class LinkError extends BpfTsError {
  /** The program's name, when known. */
  readonly program: string | undefined;
  /** What the program was being attached to. */
  readonly target: string | undefined;

  constructor(reason: string, context: LinkErrorContext = {}, options?: ErrorOptions) {
    super(`${describe(context)}${reason}`, options);
    this.program = context.program;
    this.target = context.target;
  }
}

/**
 * A uprobe/USDT target that cannot be resolved: a binary or library that is not found, a symbol
 * that is not in it, an address outside every segment.
 *
 * @example
 * ```ts
 * try { resolveUprobeTarget('/bin/bash', 'no_such_fn') } catch (e) { if (e instanceof SymbolResolveError) console.error(e.binary, e.symbol); }
 * ```
 */
export class SymbolResolveError extends BpfTsError {
  constructor(
    reason: string,
    /** The binary path as given (or as found). */
    readonly binary: string,
    /** The symbol looked for, when any. */
    readonly symbol?: string,
    options?: ErrorOptions,
  ) {
    super(`${binary}${symbol === undefined ? '' : `: symbol '${symbol}'`}: ${reason}`, options);
  }
}

function describe(context: LinkErrorContext): string {
  const parts: string[] = [];
  if (context.program !== undefined) parts.push(`program '${context.program}'`);
  if (context.target !== undefined) parts.push(context.target);
  return parts.length === 0 ? '' : `${parts.join(' -> ')}: `;
}
