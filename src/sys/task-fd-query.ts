/**
 * `BPF_TASK_FD_QUERY` (Linux 4.18+): what BPF program a process's fd holds attached, for perf
 * event fds (tracepoint, kprobe, uprobe) and raw tracepoint fds; what `bpftool perf` lists.
 */
import { AttrWriter } from './attr.js';
import { BpfCmd, bpfSyscall } from './bpf.js';

/** `union bpf_attr.task_fd_query`. */
const Q = { SIZE: 48, pid: 0, fd: 4, flags: 8, bufLen: 12, buf: 16, progId: 24, fdType: 28, probeOffset: 32, probeAddr: 40 } as const;

/** `enum bpf_task_fd_type`. */
export const TaskFdType = {
  RAW_TRACEPOINT: 0,
  TRACEPOINT: 1,
  KPROBE: 2,
  KRETPROBE: 3,
  UPROBE: 4,
  URETPROBE: 5,
} as const;
/** One of the `TaskFdType` values. */
export type TaskFdType = (typeof TaskFdType)[keyof typeof TaskFdType];

/** What `BPF_TASK_FD_QUERY` says about one fd. */
export interface TaskFdInfo {
  /** The attached program's id. */
  readonly progId: number;
  /** `enum bpf_task_fd_type`. */
  readonly fdType: number;
  /** Tracepoint name, kprobe function (empty for an address probe) or uprobe binary path. */
  readonly name: string;
  /** kprobe/uprobe offset (uprobes: in the file). */
  readonly probeOffset: bigint;
  /** kprobe address when it was attached by address. */
  readonly probeAddr: bigint;
}

/**
 * `BPF_TASK_FD_QUERY` on fd `fd` of process `pid`. Throws `SysError`: ENOTSUPP (524) for an fd
 * with no BPF program attached through it, ENOENT/EBADF for a process or fd that is gone, EPERM
 * without CAP_SYS_ADMIN.
 *
 * @example
 * ```ts
 * const q = taskFdQuery(process.pid, link.perfEventFd);
 * if (q.fdType === TaskFdType.TRACEPOINT) console.log(q.progId, q.name);
 * ```
 */
export function taskFdQuery(pid: number, fd: number): TaskFdInfo {
  const buf = new Uint8Array(4096);
  const w = new AttrWriter(Q.SIZE).u32(Q.pid, pid).u32(Q.fd, fd).u32(Q.bufLen, buf.byteLength).pointer(Q.buf, buf);
  bpfSyscall(BpfCmd.TASK_FD_QUERY, w.bytes, `BPF_TASK_FD_QUERY pid ${pid} fd ${fd}`, w, buf);
  const v = new DataView(w.bytes.buffer, w.bytes.byteOffset, w.bytes.byteLength);
  const len = Math.min(v.getUint32(Q.bufLen, true), buf.byteLength);
  let end = buf.indexOf(0);
  if (end < 0 || end > len) end = len;
  return {
    progId: v.getUint32(Q.progId, true),
    fdType: v.getUint32(Q.fdType, true),
    name: new TextDecoder().decode(buf.subarray(0, end)),
    probeOffset: v.getBigUint64(Q.probeOffset, true),
    probeAddr: v.getBigUint64(Q.probeAddr, true),
  };
}
