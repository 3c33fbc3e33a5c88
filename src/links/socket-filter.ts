import { toSysError } from '../sys/errors.js';
import { native } from '../sys/native.js';
import { LinkError } from './errors.js';
import { Link } from './link.js';
import { programLabel, type AttachableProgram } from './program.js';

const SOL_SOCKET = 1;
/** `SO_ATTACH_BPF` (Linux 3.19+): attach an eBPF socket filter by program fd. */
const SO_ATTACH_BPF = 50;
/** `SO_DETACH_BPF` = `SO_DETACH_FILTER`. */
const SO_DETACH_BPF = 27;

/**
 * Attaches a `BPF_PROG_TYPE_SOCKET_FILTER` program to a socket with `setsockopt(SO_ATTACH_BPF)`
 * (Linux 3.19+). The filter sees every packet the socket receives and keeps the number of bytes
 * it returns (0 drops). `close()` detaches it (`SO_DETACH_BPF`) unless the socket is already
 * closed. Not a `bpf_link`: no pin, update or info.
 *
 * @example
 * ```ts
 * const sock = dgram.createSocket('udp4');
 * using link = attachSocketFilter(obj.program('filter')!, socketFd(sock));
 * ```
 */
export function attachSocketFilter(program: AttachableProgram, socketFd: number): Link {
  const label = programLabel(program);
  const target = `socket fd ${socketFd}`;
  const value = new Uint8Array(4);
  new DataView(value.buffer).setUint32(0, program.fd, true);
  try {
    native().setsockopt(socketFd, SOL_SOCKET, SO_ATTACH_BPF, value);
  } catch (e) {
    const err = toSysError(e, 'setsockopt', `setsockopt(SO_ATTACH_BPF) on fd ${socketFd}`);
    throw new LinkError(`attach failed: ${err.message}`, { program: label, target }, { cause: err });
  }
  const detach = (): void => {
    try {
      native().setsockopt(socketFd, SOL_SOCKET, SO_DETACH_BPF, new Uint8Array(4));
    } catch (e) {
      // A closed socket took its filter with it; a socket whose filter was replaced has ENOENT.
      const code = (e as { code?: string }).code;
      if (code !== 'EBADF' && code !== 'ENOTSOCK' && code !== 'ENOENT') throw e;
    }
  };
  return new Link({ kind: 'socket_filter', program: label, target, cleanups: [detach], legacyReason: 'socket filters are attached with setsockopt(SO_ATTACH_BPF)' });
}

/**
 * The fd of a Node `dgram.Socket` or `net.Socket` (POSIX only: the `fd` of its libuv handle),
 * for {@link attachSocketFilter}. The socket must be bound or connected so it has an fd.
 *
 * @example
 * ```ts
 * const sock = dgram.createSocket('udp4');
 * sock.bind(0, () => attachSocketFilter(prog, socketFd(sock)));
 * ```
 */
export function socketFd(socket: object): number {
  // dgram keeps its handle in a private state object (its `_handle` getter is deprecated), net
  // sockets keep it directly under a private symbol; both handles expose the fd.
  for (const k of Object.getOwnPropertySymbols(socket)) {
    const v = (socket as Record<symbol, unknown>)[k] as { fd?: unknown; handle?: { fd?: unknown } | null } | null | undefined;
    if (v === null || typeof v !== 'object') continue;
    const fd = v.handle?.fd ?? v.fd;
    if (typeof fd === 'number' && fd >= 0) return fd;
  }
  throw new LinkError('socket has no file descriptor yet (bind or connect it first)', { target: 'socket' });
}
