import { loadKernelBtf } from '../btf/kernel-btf.js';
import { AttrWriter } from '../sys/attr.js';
import { BpfCmd, bpfCmdName } from '../sys/bpf.js';
import { NotSupportedError, SysError, toSysError } from '../sys/errors.js';
import { OwnedFd } from '../sys/fd.js';
import { native } from '../sys/native.js';
import { attachFailure } from './link-create.js';
import { Link } from './link.js';
import { programLabel, type AttachableProgram } from './program.js';

/** `bpf_attr.raw_tracepoint` (`BPF_RAW_TRACEPOINT_OPEN`): name, prog_fd, cookie (6.10+). */
const RAW_TP = { SIZE: 24, name: 0, progFd: 8, cookie: 16 } as const;

/** Options of {@link attachRawTracepoint}. */
export interface RawTracepointOptions {
  /** `bpf_get_attach_cookie()` value (Linux 6.10+; older kernels reject a non-zero cookie). */
  readonly cookie?: bigint;
}

/**
 * `BPF_RAW_TRACEPOINT_OPEN` (Linux 4.17+): a `bpf_link` (5.8+; a plain fd before) attaching a
 * `BPF_PROG_TYPE_RAW_TRACEPOINT(_WRITABLE)` program to the kernel tracepoint `name` (no
 * category: `sched_switch`, `sys_enter`). With `name` `null` it attaches a `BPF_PROG_TYPE_TRACING`
 * program (`tp_btf`, `fentry`...) or LSM/EXT program to the target it was loaded for.
 * SEC names: `raw_tp/<name>`, `raw_tracepoint/<name>`.
 *
 * @example
 * ```ts
 * using link = attachRawTracepoint(obj.program('on_sys_enter')!, 'sys_enter');
 * ```
 */
export function attachRawTracepoint(program: AttachableProgram, name: string | null, options: RawTracepointOptions = {}): Link {
  const fd = rawTracepointOpen(program, name, options.cookie ?? 0n);
  return new Link({ kind: 'raw_tracepoint', program: programLabel(program), target: name ?? '(BTF target)', linkFd: fd });
}

/**
 * The `BPF_RAW_TRACEPOINT_OPEN` call itself, for the tracing attach paths that fall back to it.
 *
 * @internal Shared by the attach functions of this folder.
 */
export function rawTracepointOpen(program: AttachableProgram, name: string | null, cookie: bigint): OwnedFd {
  const nameBytes = name === null ? null : new TextEncoder().encode(`${name}\0`);
  const w = new AttrWriter(cookie === 0n ? 16 : RAW_TP.SIZE).pointer(RAW_TP.name, nameBytes).u32(RAW_TP.progFd, program.fd);
  if (cookie !== 0n) w.u64(RAW_TP.cookie, cookie);
  let fd: number;
  try {
    fd = native().bpf(BpfCmd.RAW_TRACEPOINT_OPEN, w.bytes, w, nameBytes);
  } catch (e) {
    const cmd = bpfCmdName(BpfCmd.RAW_TRACEPOINT_OPEN);
    const failure = toSysError(e, 'bpf', cmd, cmd);
    if (cookie !== 0n && failure instanceof SysError && failure.code === 'EINVAL' && !rawTracepointTakesCookie()) {
      throw new NotSupportedError(
        'raw_tp BPF cookie',
        `program '${programLabel(program)}' -> raw_tracepoint ${name ?? '(BTF target)'}: the kernel's BPF_RAW_TRACEPOINT_OPEN has no cookie (Linux 6.10+)`,
        { cause: failure },
      );
    }
    throw attachFailure(failure, program, `raw_tracepoint ${name ?? '(BTF target)'}`);
  }
  return new OwnedFd(fd, `raw_tp ${name ?? ''}`);
}

/**
 * Whether the kernel's `bpf_attr.raw_tracepoint` has `cookie` (6.10+), per the running kernel's
 * BTF. `true` when the BTF cannot tell.
 */
function rawTracepointTakesCookie(): boolean {
  try {
    const btf = loadKernelBtf();
    for (const id of btf.findByName('bpf_attr', 'UNION')) {
      const attr = btf.typeById(id);
      if (attr.kind !== 'UNION') continue;
      const member = attr.members.find((m) => m.name === 'raw_tracepoint');
      const t = member === undefined ? undefined : btf.typeById(member.type);
      if (t?.kind === 'STRUCT') return t.members.some((f) => f.name === 'cookie');
    }
  } catch {
    // no kernel BTF: the kernel's own error stands
  }
  return true;
}
