import { Readable } from 'node:stream';
import { AttrWriter } from '../sys/attr.js';
import { BpfCmd, bpfSyscall } from '../sys/bpf.js';
import { toSysError } from '../sys/errors.js';
import { OwnedFd } from '../sys/fd.js';
import { native } from '../sys/native.js';
import { AttachType } from '../sys/uapi.js';
import { LinkError } from './errors.js';
import { linkCreate, LinkCreateLayout } from './link-create.js';
import { Link, type LinkParts } from './link.js';
import { programLabel, type AttachableProgram } from './program.js';

/** `union bpf_iter_link_info` (16 bytes): map, cgroup and task members. */
const ITER_INFO = { SIZE: 16, mapFd: 0, cgroupOrder: 0, cgroupFd: 4, cgroupId: 8, taskTid: 0, taskPid: 4, taskPidFd: 8 } as const;

/** `enum bpf_cgroup_iter_order`. */
export const CgroupIterOrder = { SELF_ONLY: 1, DESCENDANTS_PRE: 2, DESCENDANTS_POST: 3, ANCESTORS_UP: 4 } as const;
/** One of {@link CgroupIterOrder}. */
export type CgroupIterOrder = (typeof CgroupIterOrder)[keyof typeof CgroupIterOrder];

/** Options of {@link attachIter}: what to iterate over, for parameterised iterators. */
export interface IterOptions {
  /** `iter/bpf_map_elem`, `iter/sk_storage_map`...: the map (Linux 5.9+). */
  readonly mapFd?: number;
  /** `iter/cgroup` (Linux 6.1+): the cgroup fd and walk order. */
  readonly cgroup?: { readonly fd: number; readonly order: CgroupIterOrder };
  /** `iter/task*` (Linux 6.1+): only this thread, or this process. */
  readonly task?: { readonly tid?: number; readonly pid?: number; readonly pidFd?: number };
  /** Names the iterator in messages (`task`, `bpf_map`). */
  readonly targetName?: string;
}

/**
 * A BPF iterator link. Each `open()` (`BPF_ITER_CREATE`) starts a new walk whose text the
 * program writes with `bpf_seq_printf()`; `read()` collects a whole walk.
 *
 * @example
 * ```ts
 * using it = attachIter(obj.program('dump_task')!);
 * for (const line of it.read().split('\n')) console.log(line);
 * ```
 */
export class IterLink extends Link {
  constructor(parts: LinkParts) {
    super(parts);
  }

  /** `BPF_ITER_CREATE` (Linux 5.8+): a readable fd producing one walk of the iterator. */
  open(): OwnedFd {
    try {
      return new OwnedFd(bpfSyscall(BpfCmd.ITER_CREATE, new AttrWriter(8).u32(0, this.fd).bytes), `iter ${this.target}`);
    } catch (e) {
      throw new LinkError(`BPF_ITER_CREATE failed: ${(e as Error).message}`, { program: this.program, target: `iter ${this.target}` }, { cause: e });
    }
  }

  /** One full walk, as bytes. */
  readBytes(): Uint8Array {
    using fd = this.open();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(64 * 1024);
      let n: number;
      try {
        n = native().read(fd.fd, buf);
      } catch (e) {
        throw new LinkError(`reading the iterator failed: ${toSysError(e, 'read', 'read').message}`, { program: this.program, target: `iter ${this.target}` }, { cause: e });
      }
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }

  /** One full walk, decoded as UTF-8. */
  read(): string {
    return new TextDecoder().decode(this.readBytes());
  }

  /** One walk as a Node stream of chunks (each `read()` of the iterator fd is one chunk). */
  stream(): Readable {
    const fd = this.open();
    const n = native();
    return new Readable({
      read() {
        const buf = new Uint8Array(64 * 1024);
        try {
          const got = n.read(fd.fd, buf);
          if (got === 0) {
            fd.close();
            this.push(null);
          } else {
            this.push(buf.subarray(0, got));
          }
        } catch (e) {
          fd.close();
          this.destroy(e as Error);
        }
      },
      destroy(err, cb) {
        fd.close();
        cb(err);
      },
    });
  }
}

/**
 * Attaches a `BPF_TRACE_ITER` program (`SEC("iter/<target>")`) as an iterator link
 * (`BPF_LINK_CREATE` with `BPF_TRACE_ITER`, Linux 5.8+), with parameters for map, cgroup and
 * task iterators.
 *
 * @example
 * ```ts
 * using it = attachIter(obj.program('dump_map')!);
 * console.log(it.read());
 * ```
 */
export function attachIter(program: AttachableProgram, options: IterOptions = {}): IterLink {
  const label = programLabel(program);
  const target = options.targetName ?? label;
  let info: Uint8Array | undefined;
  if (options.mapFd !== undefined || options.cgroup !== undefined || options.task !== undefined) {
    const w = new AttrWriter(ITER_INFO.SIZE);
    if (options.mapFd !== undefined) w.u32(ITER_INFO.mapFd, options.mapFd);
    else if (options.cgroup !== undefined) w.u32(ITER_INFO.cgroupOrder, options.cgroup.order).u32(ITER_INFO.cgroupFd, options.cgroup.fd);
    else if (options.task !== undefined) w.u32(ITER_INFO.taskTid, options.task.tid ?? 0).u32(ITER_INFO.taskPid, options.task.pid ?? 0).u32(ITER_INFO.taskPidFd, options.task.pidFd ?? 0);
    info = w.bytes;
  }
  const fd = linkCreate({
    program,
    target: 0,
    attachType: AttachType.TRACE_ITER,
    description: `iter ${target}`,
    extra: (w) => {
      if (info !== undefined) w.pointer(LinkCreateLayout.iterInfo, info).u32(LinkCreateLayout.iterInfoLen, info.byteLength);
    },
  });
  return new IterLink({ kind: 'iter', program: label, target, linkFd: fd });
}
