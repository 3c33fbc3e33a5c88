import { closeSync, openSync } from 'node:fs';
import { AttachTypeName } from '../sys/uapi.js';
import { LinkError } from './errors.js';
import { linkCreate } from './link-create.js';
import { Link } from './link.js';
import { programLabel, type AttachableProgram } from './program.js';

/** Options of {@link attachCgroup}. */
export interface CgroupOptions {
  /** The cgroup v2 directory (`/sys/fs/cgroup/my.slice`) or an open fd of it. */
  readonly cgroup: string | number;
  /**
   * `enum bpf_attach_type` (`AttachType.CGROUP_INET_EGRESS`, ...). Default: the program's
   * `expectedAttachType` (set from its SEC() name at load).
   */
  readonly attachType?: number;
}

/**
 * Attaches a cgroup program (`cgroup_skb`, `cgroup/sock*`, `cgroup/connect4`..., `sockops`,
 * `cgroup/dev`, `cgroup/sysctl`, `cgroup/[gs]etsockopt`) to a cgroup v2 as a `bpf_link`
 * (`BPF_LINK_CREATE` with the cgroup fd, Linux 5.7+). Links coexist with other programs on the
 * hook (like `BPF_F_ALLOW_MULTI`) and detach when closed; `update()` swaps the program.
 *
 * @example
 * ```ts
 * using link = attachCgroup(obj.program('egress')!, { cgroup: '/sys/fs/cgroup/test' });
 * ```
 */
export function attachCgroup(program: AttachableProgram, options: CgroupOptions): Link {
  const label = programLabel(program);
  const attachType = options.attachType ?? program.expectedAttachType;
  const where = typeof options.cgroup === 'string' ? options.cgroup : `fd ${options.cgroup}`;
  if (attachType === undefined) {
    throw new LinkError('no cgroup attach type: pass attachType (the program has no expectedAttachType)', { program: label, target: `cgroup ${where}` });
  }
  const typeName = AttachTypeName.get(attachType) ?? `attach type ${attachType}`;
  const target = `cgroup ${where} ${typeName}`;
  let cgroupFd: number;
  if (typeof options.cgroup === 'number') {
    cgroupFd = options.cgroup;
  } else {
    try {
      cgroupFd = openSync(options.cgroup, 'r');
    } catch (e) {
      throw new LinkError(`cannot open cgroup directory: ${(e as Error).message}`, { program: label, target }, { cause: e });
    }
  }
  try {
    const fd = linkCreate({ program, target: cgroupFd, attachType, description: target });
    return new Link({ kind: 'cgroup', program: label, target: `${where} ${typeName}`, linkFd: fd });
  } finally {
    // The link holds its own reference to the cgroup.
    if (typeof options.cgroup === 'string') closeSync(cgroupFd);
  }
}
