import { AttrWriter } from './attr.js';
import { BpfCmd, bpfSyscall } from './bpf.js';
import { SysError } from './errors.js';
import { OwnedFd } from './fd.js';

/** The four kinds of kernel BPF objects that have global ids. */
export type BpfObjectKind = 'prog' | 'map' | 'link' | 'btf';

const COMMANDS: Readonly<Record<BpfObjectKind, { readonly nextId: BpfCmd; readonly fdById: BpfCmd; readonly noun: string }>> = {
  prog: { nextId: BpfCmd.PROG_GET_NEXT_ID, fdById: BpfCmd.PROG_GET_FD_BY_ID, noun: 'program' },
  map: { nextId: BpfCmd.MAP_GET_NEXT_ID, fdById: BpfCmd.MAP_GET_FD_BY_ID, noun: 'map' },
  link: { nextId: BpfCmd.LINK_GET_NEXT_ID, fdById: BpfCmd.LINK_GET_FD_BY_ID, noun: 'link' },
  btf: { nextId: BpfCmd.BTF_GET_NEXT_ID, fdById: BpfCmd.BTF_GET_FD_BY_ID, noun: 'BTF object' },
};

/** `bpf_attr` of the `*_GET_NEXT_ID` and `*_GET_FD_BY_ID` commands: `start_id`/`*_id`, `next_id`, `open_flags`. */
const ID_ATTR = { id: 0, nextId: 4, openFlags: 8, SIZE: 12 } as const;

/**
 * `BPF_*_GET_FD_BY_ID` found no object with that id (`ENOENT`): it never existed or is gone.
 * Carries the kind and id so callers can say which.
 */
export class ObjectNotFoundError extends SysError {
  constructor(
    readonly kind: BpfObjectKind,
    readonly id: number,
    options?: ErrorOptions,
  ) {
    const cmd = `BPF_${kind.toUpperCase()}_GET_FD_BY_ID`;
    super(`no ${COMMANDS[kind].noun} with id ${id} (${cmd} failed: ENOENT)`, 2, 'ENOENT', 'bpf', cmd, options);
  }
}

/**
 * `BPF_{PROG,MAP,LINK,BTF}_GET_NEXT_ID`: the smallest id above `startId`, or `undefined` when
 * there is none (`ENOENT`). Needs CAP_SYS_ADMIN (the error says so on `EPERM`).
 */
export function getNextId(kind: BpfObjectKind, startId: number): number | undefined {
  const attr = new AttrWriter(ID_ATTR.SIZE).u32(ID_ATTR.id, startId);
  try {
    bpfSyscall(COMMANDS[kind].nextId, attr.bytes);
  } catch (e) {
    if (e instanceof SysError && e.code === 'ENOENT') return undefined;
    throw e;
  }
  return attr.reader().u32(ID_ATTR.nextId);
}

/**
 * Every id of `kind` in increasing order, fetched lazily (objects created or freed meanwhile may
 * or may not appear, as with bpftool).
 *
 * @example
 * ```ts
 * for (const id of objectIds('map')) console.log(id);
 * ```
 */
export function* objectIds(kind: BpfObjectKind): Generator<number, void, void> {
  let id = 0;
  for (;;) {
    const next = getNextId(kind, id);
    if (next === undefined) return;
    yield next;
    id = next;
  }
}

/**
 * `BPF_{PROG,MAP,LINK,BTF}_GET_FD_BY_ID`: a new fd for the object with `id`.
 * Throws {@link ObjectNotFoundError} when there is none, a `SysError` otherwise.
 * `openFlags` (`BPF_F_RDONLY`, ...) applies to maps only.
 */
export function getFdById(kind: BpfObjectKind, id: number, openFlags = 0): OwnedFd {
  const attr = new AttrWriter(ID_ATTR.SIZE).u32(ID_ATTR.id, id).u32(ID_ATTR.openFlags, openFlags);
  let fd: number;
  try {
    fd = bpfSyscall(COMMANDS[kind].fdById, attr.bytes, `BPF_${kind.toUpperCase()}_GET_FD_BY_ID id ${id}`);
  } catch (e) {
    if (e instanceof SysError && e.code === 'ENOENT') throw new ObjectNotFoundError(kind, id, { cause: e });
    throw e;
  }
  return new OwnedFd(fd, `${kind} ${id}`);
}

/** `BPF_PROG_GET_FD_BY_ID`: see {@link getFdById}. @example `using fd = progGetFdById(42);` */
export function progGetFdById(id: number): OwnedFd {
  return getFdById('prog', id);
}

/** `BPF_MAP_GET_FD_BY_ID`: see {@link getFdById}. `openFlags`: `BPF_F_RDONLY`/`BPF_F_WRONLY`. */
export function mapGetFdById(id: number, openFlags = 0): OwnedFd {
  return getFdById('map', id, openFlags);
}

/** `BPF_LINK_GET_FD_BY_ID` (Linux 5.8+): see {@link getFdById}. */
export function linkGetFdById(id: number): OwnedFd {
  return getFdById('link', id);
}

/** `BPF_BTF_GET_FD_BY_ID` (Linux 5.0+): see {@link getFdById}. */
export function btfGetFdById(id: number): OwnedFd {
  return getFdById('btf', id);
}
