/**
 * libbpf's `bpf_map__attach_struct_ops()`: registers a loaded struct_ops map with its kernel
 * subsystem (a TCP congestion control becomes selectable, ...). A `.struct_ops.link` map, whose
 * value the loader already wrote, is registered by `BPF_LINK_CREATE` with the map fd in the
 * program slot; closing the link unregisters it. A `.struct_ops` map is registered by writing its
 * value; that registration holds its own map reference, so closing the returned `Link` deletes
 * the element to unregister it (libbpf's `bpf_link__detach_struct_ops`).
 */
import { AttachType } from '../sys/uapi.js';
import type { BpfMap } from '../maps/map.js';
import { LinkError } from './errors.js';
import { linkCreate } from './link-create.js';
import { Link } from './link.js';

/** A created struct_ops map and its value, as `BpfObject.structOps(name)` returns it. */
export interface StructOpsAttachable {
  readonly name: string;
  readonly map: Pick<BpfMap, 'fd' | 'update' | 'delete'>;
  /** Created with `BPF_F_LINK` (`SEC(".struct_ops.link")`). */
  readonly link: boolean;
  /** The kernel value with program fds (written by the loader for link maps). */
  readonly value: Uint8Array;
}

/**
 * Registers a struct_ops map. Throws {@link LinkError} with the kernel's error as cause.
 *
 * @example
 * ```ts
 * using obj = await loadObject('bpf/struct_ops.bpf.o');
 * using link = attachStructOps(obj.structOps('bpf_ts_cc')!);
 * // 'bpf_ts_cc' is now in /proc/sys/net/ipv4/tcp_available_congestion_control
 * ```
 */
export function attachStructOps(ops: StructOpsAttachable): Link {
  const target = `struct_ops map '${ops.name}'`;
  if (ops.link) {
    // link_create.map_fd shares offset 0 with prog_fd.
    const fd = linkCreate({ program: { fd: ops.map.fd.fd, name: ops.name }, target: 0, attachType: AttachType.STRUCT_OPS, description: target });
    return new Link({ kind: 'struct_ops', program: ops.name, target, linkFd: fd });
  }
  const key = new Uint8Array(4);
  try {
    ops.map.update(key, ops.value);
  } catch (e) {
    throw new LinkError(`registering failed: ${(e as Error).message}`, { program: ops.name, target }, { cause: e });
  }
  return new Link({
    kind: 'struct_ops',
    program: ops.name,
    target,
    legacyReason: 'a .struct_ops map (without BPF_F_LINK) is registered by a map update, not a bpf_link',
    cleanups: [() => void ops.map.delete(key)],
  });
}
