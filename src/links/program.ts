/**
 * What the attach functions need from a program: its fd, and for dispatch its type. The
 * loader's `BpfProgram` has this shape; so does `{ fd: progLoad(...).fd }`.
 *
 * @example
 * ```ts
 * const prog: AttachableProgram = { fd: loaded.fd.fd, type: ProgType.XDP, name: 'xdp_pass' };
 * using link = attachXdp(prog, { ifindex: 1 });
 * ```
 */
export interface AttachableProgram {
  /** The program's fd (owned by the caller; links hold their own kernel reference). */
  readonly fd: number;
  /** `enum bpf_prog_type`, used by {@link attach} to choose the hook. */
  readonly type?: number;
  /** `expected_attach_type` the program was loaded with (Linux 4.17+). */
  readonly expectedAttachType?: number;
  /** For messages. */
  readonly name?: string;
  /** The ELF section (`SEC()` name), used by {@link autoAttach}. */
  readonly section?: string;
}

/**
 * The name to put in messages: the program's name, or its fd.
 *
 * @example
 * ```ts
 * programLabel({ fd: 7 });                 // 'fd 7'
 * programLabel({ fd: 7, name: 'xdp_prog' }); // 'xdp_prog'
 * ```
 */
export function programLabel(program: AttachableProgram): string {
  return program.name ?? `fd ${program.fd}`;
}
