import { NotSupportedError } from '../sys/errors.js';
import { AttachTypeName, LinkType } from '../sys/uapi.js';
import { kernelKnowsLinkType } from './kernel-attach-types.js';
import { LinkError } from './errors.js';
import { errnoCode, linkCreate } from './link-create.js';
import { Link } from './link.js';
import { programLabel, type AttachableProgram } from './program.js';

/** Options of {@link attachSockmap}. */
export interface SockmapOptions {
  /** The `BPF_MAP_TYPE_SOCKMAP`/`SOCKHASH` map's fd. */
  readonly mapFd: number;
  /**
   * `AttachType.SK_MSG_VERDICT`, `SK_SKB_STREAM_VERDICT`, `SK_SKB_STREAM_PARSER` or
   * `SK_SKB_VERDICT`; default: the program's `expectedAttachType`.
   */
  readonly attachType?: number;
}

/**
 * Attaches an `sk_msg` or `sk_skb` program to a sockmap/sockhash as a sockmap `bpf_link`
 * (`BPF_LINK_CREATE` with the map fd, Linux 6.10+; older kernels: `NotSupportedError`, feature
 * `'sockmap link'`): it then runs for the sockets in the map.
 *
 * @example
 * ```ts
 * using link = attachSockmap(obj.program('msg_verdict')!, { mapFd: obj.map('socks')!.fd.fd });
 * ```
 */
export function attachSockmap(program: AttachableProgram, options: SockmapOptions): Link {
  const label = programLabel(program);
  const attachType = options.attachType ?? program.expectedAttachType;
  const where = `sockmap fd ${options.mapFd}`;
  if (attachType === undefined || attachType === 0) {
    throw new LinkError('no sockmap attach type: pass attachType (the program has no expectedAttachType)', { program: label, target: where });
  }
  const target = `${where} ${AttachTypeName.get(attachType) ?? attachType}`;
  let fd;
  try {
    fd = linkCreate({ program, target: options.mapFd, attachType, description: target });
  } catch (e) {
    // Before 6.10 sk_msg/sk_skb programs attach only through BPF_PROG_ATTACH: EINVAL here.
    if (errnoCode(e) === 'EINVAL' && !kernelKnowsLinkType(LinkType.SOCKMAP)) {
      throw new NotSupportedError('sockmap link', `program '${label}' -> ${target}: the kernel has no sockmap links (Linux 6.10+); attach with BPF_PROG_ATTACH there`, { cause: e });
    }
    throw e;
  }
  return new Link({ kind: 'sockmap', program: label, target, linkFd: fd });
}
