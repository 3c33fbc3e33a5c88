import { closeSync, openSync } from 'node:fs';
import { AttachType, AttachTypeName } from '../sys/uapi.js';
import { LinkError } from './errors.js';
import { linkCreate } from './link-create.js';
import { Link } from './link.js';
import { programLabel, type AttachableProgram } from './program.js';

/** Options of {@link attachNetns}. */
export interface NetnsOptions {
  /** A network namespace file (`/var/run/netns/x`, `/proc/PID/ns/net`) or an open fd; default this process's. */
  readonly netns?: string | number;
  /** `AttachType.SK_LOOKUP` or `AttachType.FLOW_DISSECTOR`; default from the program. */
  readonly attachType?: number;
}

/**
 * Attaches an `sk_lookup` (Linux 5.9+) or `flow_dissector` (5.8+ as a link) program to a network
 * namespace as a netns `bpf_link` (`BPF_LINK_CREATE` with the namespace fd).
 *
 * @example
 * ```ts
 * using link = attachNetns(obj.program('steer')!, { netns: '/proc/self/ns/net' });
 * ```
 */
export function attachNetns(program: AttachableProgram, options: NetnsOptions = {}): Link {
  const label = programLabel(program);
  const attachType = options.attachType ?? program.expectedAttachType ?? AttachType.SK_LOOKUP;
  const where = options.netns === undefined ? '/proc/self/ns/net' : typeof options.netns === 'string' ? options.netns : `fd ${options.netns}`;
  const target = `netns ${where} ${AttachTypeName.get(attachType) ?? attachType}`;
  let nsFd: number;
  if (typeof options.netns === 'number') {
    nsFd = options.netns;
  } else {
    try {
      nsFd = openSync(where, 'r');
    } catch (e) {
      throw new LinkError(`cannot open network namespace: ${(e as Error).message}`, { program: label, target }, { cause: e });
    }
  }
  try {
    const fd = linkCreate({ program, target: nsFd, attachType, description: target });
    return new Link({ kind: 'netns', program: label, target, linkFd: fd });
  } finally {
    if (typeof options.netns !== 'number') closeSync(nsFd);
  }
}
