import { AttrWriter } from '../sys/attr.js';
import { BpfCmd, bpfCmdName } from '../sys/bpf.js';
import { NotSupportedError, SysError, toSysError } from '../sys/errors.js';
import { OwnedFd } from '../sys/fd.js';
import { native } from '../sys/native.js';
import { LinkError } from './errors.js';
import { programLabel, type AttachableProgram } from './program.js';

/**
 * Byte offsets of `bpf_attr.link_create` (`BPF_LINK_CREATE`, Linux 5.7+). The type-specific
 * union starts at 16; each family's members are listed under its own name.
 */
export const LinkCreateLayout = {
  SIZE: 64,
  progFd: 0,
  targetFd: 4,
  attachType: 8,
  flags: 12,
  targetBtfId: 16,
  iterInfo: 16,
  iterInfoLen: 24,
  perfEventCookie: 16,
  kprobeMultiFlags: 16,
  kprobeMultiCnt: 20,
  kprobeMultiSyms: 24,
  kprobeMultiAddrs: 32,
  kprobeMultiCookies: 40,
  tracingCookie: 24,
  netfilterPf: 16,
  netfilterHooknum: 20,
  netfilterPriority: 24,
  netfilterFlags: 28,
  tcxRelative: 16,
  tcxExpectedRevision: 24,
  uprobeMultiPath: 16,
  uprobeMultiOffsets: 24,
  uprobeMultiRefCtrOffsets: 32,
  uprobeMultiCookies: 40,
  uprobeMultiCnt: 48,
  uprobeMultiFlags: 52,
  uprobeMultiPid: 56,
} as const;

/** What {@link linkCreate} needs besides the encoded union. */
export interface LinkCreateRequest {
  readonly program: AttachableProgram;
  /** `target_fd` / `target_ifindex`. */
  readonly target: number;
  /** `enum bpf_attach_type`. */
  readonly attachType: number;
  readonly flags?: number;
  /** Fills the type-specific union (pointer fields must go through the writer). */
  readonly extra?: (w: AttrWriter) => void;
  /** For messages: `'xdp ifindex 3'`. */
  readonly description: string;
  /** Buffers reachable only through pointers inside other buffers (kprobe-multi names). */
  readonly keepAlive?: readonly unknown[];
}

/**
 * `BPF_LINK_CREATE`: returns the new `bpf_link` fd. Failures become a {@link LinkError} naming
 * the program and target, with the `SysError` as cause.
 *
 * @example
 * ```ts
 * using fd = linkCreate({ program: prog, target: ifindex, attachType: AttachType.XDP, description: 'xdp eth0' });
 * ```
 */
export function linkCreate(request: LinkCreateRequest): OwnedFd {
  const L = LinkCreateLayout;
  const w = new AttrWriter(L.SIZE)
    .u32(L.progFd, request.program.fd)
    .u32(L.targetFd, request.target)
    .u32(L.attachType, request.attachType)
    .u32(L.flags, request.flags ?? 0);
  request.extra?.(w);
  let fd: number;
  try {
    // The writer and keepAlive are call arguments so the buffers they point at outlive the call.
    fd = native().bpf(BpfCmd.LINK_CREATE, w.bytes, w, request.keepAlive);
  } catch (e) {
    const name = bpfCmdName(BpfCmd.LINK_CREATE);
    throw attachFailure(toSysError(e, 'bpf', name, name), request.program, request.description);
  }
  return new OwnedFd(fd, `link ${request.description}`);
}

/**
 * Wraps a failed attach syscall: a {@link LinkError} with the program and target named and the
 * `SysError` as cause (its message carries the errno and hint).
 *
 * @internal Shared by the attach functions of this folder.
 */
export function attachFailure(e: unknown, program: AttachableProgram, target: string): Error {
  if (e instanceof LinkError || e instanceof NotSupportedError) return e;
  const detail = e instanceof SysError ? e.message : e instanceof Error ? e.message : String(e);
  return new LinkError(`attach failed: ${detail}`, { program: programLabel(program), target }, { cause: e });
}

/**
 * The errno code of a failed syscall, if it was one.
 *
 * @internal Shared by the attach functions of this folder.
 */
export function errnoCode(e: unknown): string | undefined {
  if (e instanceof SysError) return e.code;
  if (e instanceof LinkError && e.cause instanceof SysError) return e.cause.code;
  return undefined;
}
