import { rmSync } from 'node:fs';
import { AttrWriter } from '../sys/attr.js';
import { BpfCmd, bpfSyscall } from '../sys/bpf.js';
import { NotSupportedError, SysError } from '../sys/errors.js';
import { OwnedFd } from '../sys/fd.js';
import { getLinkInfo, type LinkInfo } from '../sys/info.js';
import { objPin } from '../sys/pin.js';
import { LinkError } from './errors.js';
import { programLabel, type AttachableProgram } from './program.js';

/** `bpf_attr.link_update` (`BPF_LINK_UPDATE`): link_fd, new_prog_fd, flags, old_prog_fd. */
const LINK_UPDATE = { SIZE: 16, linkFd: 0, newProgFd: 4, flags: 8, oldProgFd: 12 } as const;
/** `BPF_F_REPLACE`: the update only happens when the link still runs `old_prog_fd`. */
const BPF_F_REPLACE = 1 << 2;

/** Runs the cleanups of links dropped without `close()` (their fds have their own registry). */
const forgotten = new FinalizationRegistry<Array<() => void>>((cleanups) => {
  for (const c of cleanups) {
    try {
      c();
    } catch {
      // The link is gone and nobody is left to tell.
    }
  }
});

/** How a {@link Link} is held in the kernel. */
export interface LinkParts {
  /** The hook family: `'tracepoint'`, `'xdp'`, `'uprobe'`, ... */
  readonly kind: string;
  /** The program's name (for messages). */
  readonly program: string;
  /** What it is attached to, for messages: `'tracepoint syscalls/sys_enter_getpid'`. */
  readonly target: string;
  /**
   * The `bpf_link` fd, when the attachment is a BPF link (`BPF_LINK_CREATE`,
   * `BPF_RAW_TRACEPOINT_OPEN`). Absent for legacy attachments (perf event ioctl, `SO_ATTACH_BPF`,
   * `BPF_PROG_ATTACH`): those cannot be pinned, updated or queried.
   */
  readonly linkFd?: OwnedFd;
  /** Other fds the attachment lives on (the perf event of a tracepoint/kprobe/uprobe). */
  readonly fds?: readonly OwnedFd[];
  /**
   * Undo steps run on `close()` after the fds are closed, last registered first (detach a legacy
   * attachment, remove a tracefs probe). Also run for links dropped without `close()`.
   */
  readonly cleanups?: ReadonlyArray<() => void>;
  /** Why `pin`/`update`/`info` cannot work when `linkFd` is absent (kernel version, hook). */
  readonly legacyReason?: string;
}

/**
 * An attached program. `close()` (or `using`) detaches it unless the link is pinned: a pinned
 * `bpf_link` lives on until its pin is removed. A link dropped without `close()` is detached by
 * a FinalizationRegistry when collected.
 *
 * Operations map to the kernel's `bpf_link` API (Linux 5.7+): `pin()` is `BPF_OBJ_PIN`,
 * `update()` is `BPF_LINK_UPDATE` (5.7+, not every link type: tracing, perf_event and iterator
 * links refuse it), `detach()` is `BPF_LINK_DETACH` (5.9+: the link stays open but defunct),
 * `info()` is `BPF_OBJ_GET_INFO_BY_FD` on the link.
 *
 * @example
 * ```ts
 * using link = attachTracepoint(obj.program('on_getpid')!, 'syscalls', 'sys_enter_getpid');
 * link.pin('/sys/fs/bpf/getpid_link');
 * console.log(link.info().id);
 * ```
 */
export class Link implements Disposable {
  /** The hook family: `'tracepoint'`, `'xdp'`, `'uprobe'`, ... */
  readonly kind: string;
  /** The program's name. */
  readonly program: string;
  /** What the program is attached to (for messages). */
  readonly target: string;
  /** Where `pin()` put the link, if anywhere. */
  pinnedAt: string | undefined;
  readonly #linkFd: OwnedFd | undefined;
  readonly #fds: readonly OwnedFd[];
  readonly #cleanups: Array<() => void>;
  readonly #legacyReason: string;
  #closed = false;

  constructor(parts: LinkParts) {
    this.kind = parts.kind;
    this.program = parts.program;
    this.target = parts.target;
    this.#linkFd = parts.linkFd;
    this.#fds = parts.fds ?? [];
    this.#cleanups = [...(parts.cleanups ?? [])];
    this.#legacyReason = parts.legacyReason ?? `${parts.kind} attachments are not bpf_links`;
    if (this.#cleanups.length > 0) {
      // Fds close through their own registry; only the extra undo steps need ours. The array is
      // copied so the registry does not keep this link alive.
      forgotten.register(this, [...this.#cleanups].reverse(), this);
    }
  }

  /** True when the attachment is a `bpf_link` (pinnable, updatable, queryable). */
  get isBpfLink(): boolean {
    return this.#linkFd !== undefined;
  }

  /** The `bpf_link` fd; throws `NotSupportedError` for legacy attachments. */
  get fd(): number {
    return this.requireLinkFd('fd').fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** `BPF_OBJ_GET_INFO_BY_FD`: the link's id, program id and type-specific details. */
  info(): LinkInfo {
    const fd = this.requireLinkFd('info');
    try {
      return getLinkInfo(fd);
    } catch (e) {
      throw this.error('BPF_OBJ_GET_INFO_BY_FD failed', e);
    }
  }

  /** `BPF_OBJ_PIN`: the link outlives this process until the pin is removed (bpffs mounted on demand). */
  pin(path: string): void {
    const fd = this.requireLinkFd('pin');
    try {
      objPin(fd, path);
    } catch (e) {
      throw this.error(`pin at ${path} failed`, e);
    }
    this.pinnedAt = path;
  }

  /** Removes the pin made by `pin()` (the link stays attached while this object holds it). */
  unpin(): void {
    if (this.pinnedAt === undefined) return;
    rmSync(this.pinnedAt, { force: true });
    this.pinnedAt = undefined;
  }

  /**
   * `BPF_LINK_UPDATE`: atomically replaces the link's program (Linux 5.7+; cgroup, xdp, tcx,
   * netns, iterator-less link types). With `expected`, only when the link still runs that
   * program (`BPF_F_REPLACE`).
   */
  update(program: AttachableProgram, expected?: AttachableProgram): void {
    const fd = this.requireLinkFd('update');
    const w = new AttrWriter(LINK_UPDATE.SIZE).u32(LINK_UPDATE.linkFd, fd.fd).u32(LINK_UPDATE.newProgFd, program.fd);
    if (expected !== undefined) w.u32(LINK_UPDATE.flags, BPF_F_REPLACE).u32(LINK_UPDATE.oldProgFd, expected.fd);
    try {
      bpfSyscall(BpfCmd.LINK_UPDATE, w.bytes);
    } catch (e) {
      if (e instanceof SysError && (e.code === 'EOPNOTSUPP' || e.code === 'ENOTSUPP')) {
        throw new NotSupportedError('BPF_LINK_UPDATE', `${this.kind} link of program '${this.program}' (${this.target}): the kernel cannot replace the program of this link type`, { cause: e });
      }
      const hint = e instanceof SysError && e.code === 'EINVAL' ? ' (EINVAL: the kernel cannot update this link type, or the new program differs in type or attach type)' : '';
      throw this.error(`update to program '${programLabel(program)}' failed${hint}`, e);
    }
  }

  /**
   * `BPF_LINK_DETACH` (Linux 5.9+): detaches the program now, while the link fd (and any pin)
   * stays valid but defunct. Not every link type supports it (then `NotSupportedError`).
   */
  detach(): void {
    const fd = this.requireLinkFd('detach');
    try {
      bpfSyscall(BpfCmd.LINK_DETACH, new AttrWriter(4).u32(0, fd.fd).bytes);
    } catch (e) {
      if (e instanceof SysError && (e.code === 'EOPNOTSUPP' || e.code === 'ENOTSUPP' || e.code === 'EINVAL')) {
        throw new NotSupportedError('BPF_LINK_DETACH', `${this.kind} link of program '${this.program}' (${this.target}): the kernel cannot detach this link type (${e.code})`, { cause: e });
      }
      throw this.error('detach failed', e);
    }
  }

  /**
   * Closes this process's handles: the program is detached unless the link is pinned. Idempotent.
   * Pins are left alone (call `unpin()` first to remove them).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    forgotten.unregister(this);
    const errors: unknown[] = [];
    const attempt = (f: () => void): void => {
      try {
        f();
      } catch (e) {
        errors.push(e);
      }
    };
    attempt(() => this.#linkFd?.close());
    for (const fd of this.#fds) attempt(() => fd.close());
    for (const c of [...this.#cleanups].reverse()) attempt(c);
    if (errors.length > 0) throw this.error('close failed', errors[0]);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private requireLinkFd(operation: string): OwnedFd {
    if (this.#closed) throw new LinkError(`${operation}: the link was closed`, { program: this.program, target: `${this.kind} ${this.target}` });
    if (this.#linkFd === undefined) {
      throw new NotSupportedError('bpf_link', `${operation}: ${this.kind} attachment of program '${this.program}' (${this.target}) is not a bpf_link: ${this.#legacyReason}`);
    }
    return this.#linkFd;
  }

  private error(reason: string, cause: unknown): LinkError {
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    return new LinkError(`${reason}${detail}`, { program: this.program, target: `${this.kind} ${this.target}` }, { cause });
  }
}

/**
 * Several links made by one attach call (a perf event on every CPU), closed together.
 *
 * @example
 * ```ts
 * using group = attachPerfEvent(prog, { type: PerfType.SOFTWARE, config: PerfSwConfig.CPU_CLOCK, frequency: 99 });
 * console.log(group.links.length); // one per CPU
 * ```
 */
export class LinkGroup implements Disposable {
  constructor(
    readonly links: readonly Link[],
    /** The hook family of the links (`'perf_event'`, `'usdt'`). */
    readonly kind: string = links[0]?.kind ?? 'empty',
  ) {}

  /** Closes every link (all are attempted; the first failure is rethrown). */
  close(): void {
    let first: unknown;
    for (const l of this.links) {
      try {
        l.close();
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
