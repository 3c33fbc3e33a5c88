/**
 * `BPF_PROG_ATTACH` / `BPF_PROG_DETACH`: the attachments that are not links (cgroups before
 * links, `bpftool cgroup attach`), held by the target until detached.
 */
import { AttrWriter } from './attr.js';
import { BpfCmd, bpfSyscall } from './bpf.js';

/** `bpf_attr` of `BPF_PROG_ATTACH`/`DETACH`: target_fd, attach_bpf_fd, attach_type, attach_flags. */
const A = { SIZE: 20, target: 0, prog: 4, attachType: 8, flags: 12 } as const;

/** `BPF_F_ALLOW_OVERRIDE` / `BPF_F_ALLOW_MULTI` (cgroup attach flags). */
export const CgroupAttachFlag = { ALLOW_OVERRIDE: 1, ALLOW_MULTI: 2, REPLACE: 4 } as const;

/**
 * `BPF_PROG_ATTACH`: attaches `progFd` to `targetFd` (a cgroup directory fd, ...) at
 * `attachType` with `flags`. Throws `SysError`.
 *
 * @example
 * ```ts
 * progAttach(cgroupFd, prog.fd, AttachType.CGROUP_INET_EGRESS, CgroupAttachFlag.ALLOW_MULTI);
 * ```
 */
export function progAttach(targetFd: number, progFd: number, attachType: number, flags = 0): void {
  const w = new AttrWriter(A.SIZE).u32(A.target, targetFd).u32(A.prog, progFd).u32(A.attachType, attachType).u32(A.flags, flags);
  bpfSyscall(BpfCmd.PROG_ATTACH, w.bytes);
}

/**
 * `BPF_PROG_DETACH`: detaches `progFd` from `targetFd` at `attachType`. Throws `SysError`
 * (ENOENT when it is not attached there).
 *
 * @example
 * ```ts
 * progDetach(cgroupFd, prog.fd, AttachType.CGROUP_INET_EGRESS);
 * ```
 */
export function progDetach(targetFd: number, progFd: number, attachType: number): void {
  const w = new AttrWriter(A.SIZE).u32(A.target, targetFd).u32(A.prog, progFd).u32(A.attachType, attachType);
  bpfSyscall(BpfCmd.PROG_DETACH, w.bytes);
}
