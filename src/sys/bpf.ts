import { native } from './native.js';
import { toSysError } from './errors.js';

/** `enum bpf_cmd` from `include/uapi/linux/bpf.h`. */
export const BpfCmd = {
  MAP_CREATE: 0,
  MAP_LOOKUP_ELEM: 1,
  MAP_UPDATE_ELEM: 2,
  MAP_DELETE_ELEM: 3,
  MAP_GET_NEXT_KEY: 4,
  PROG_LOAD: 5,
  OBJ_PIN: 6,
  OBJ_GET: 7,
  PROG_ATTACH: 8,
  PROG_DETACH: 9,
  PROG_TEST_RUN: 10,
  PROG_GET_NEXT_ID: 11,
  MAP_GET_NEXT_ID: 12,
  PROG_GET_FD_BY_ID: 13,
  MAP_GET_FD_BY_ID: 14,
  OBJ_GET_INFO_BY_FD: 15,
  PROG_QUERY: 16,
  RAW_TRACEPOINT_OPEN: 17,
  BTF_LOAD: 18,
  BTF_GET_FD_BY_ID: 19,
  TASK_FD_QUERY: 20,
  MAP_LOOKUP_AND_DELETE_ELEM: 21,
  MAP_FREEZE: 22,
  BTF_GET_NEXT_ID: 23,
  MAP_LOOKUP_BATCH: 24,
  MAP_LOOKUP_AND_DELETE_BATCH: 25,
  MAP_UPDATE_BATCH: 26,
  MAP_DELETE_BATCH: 27,
  LINK_CREATE: 28,
  LINK_UPDATE: 29,
  LINK_GET_FD_BY_ID: 30,
  LINK_GET_NEXT_ID: 31,
  ENABLE_STATS: 32,
  ITER_CREATE: 33,
  LINK_DETACH: 34,
  PROG_BIND_MAP: 35,
  TOKEN_CREATE: 36,
} as const;
export type BpfCmd = (typeof BpfCmd)[keyof typeof BpfCmd];

const CMD_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(BpfCmd).map(([k, v]) => [v, `BPF_${k}`]));

/** `BPF_PROG_LOAD` for `5`: the UAPI name of a command, for messages. */
export function bpfCmdName(cmd: number): string {
  return CMD_NAMES.get(cmd) ?? `bpf cmd ${cmd}`;
}

/**
 * Calls `bpf(cmd, attr, attr.byteLength)`. `attr` is an encoded `union bpf_attr` (only the
 * command's leading fields are needed; the kernel requires the rest to be zero). Failures become
 * a `SysError` whose message begins with `what` (default: the command name).
 *
 * `keepAlive`: whatever owns the buffers whose addresses `attr` holds (an `AttrWriter`, or the
 * buffers themselves). Passing them as call arguments keeps them from being collected while the
 * kernel reads or writes them, even when the caller's locals are dead.
 */
export function bpfSyscall(cmd: BpfCmd, attr: Uint8Array, what?: string, ...keepAlive: unknown[]): number {
  try {
    return native().bpf(cmd, attr, ...keepAlive);
  } catch (e) {
    const name = bpfCmdName(cmd);
    throw toSysError(e, 'bpf', what ?? name, name);
  }
}
