import { loadKernelBtf } from '../btf/kernel-btf.js';
import { NotSupportedError } from '../sys/errors.js';
import { trampolineRefusalReason, TRAMPOLINE_ATTACH_TYPES, TRAMPOLINE_FEATURE } from '../sys/feature-probe-trampoline.js';
import { AttachType } from '../sys/uapi.js';
import { errnoCode, linkCreate, LinkCreateLayout } from './link-create.js';
import { Link } from './link.js';
import { programLabel, type AttachableProgram } from './program.js';
import { rawTracepointOpen } from './raw-tracepoint.js';

/** Options of {@link attachTracing}. */
export interface TracingOptions {
  /** `bpf_get_attach_cookie()` value (fentry/fexit/fmod_ret/lsm links, Linux 6.3+). */
  readonly cookie?: bigint;
  /** For `freplace` (`BPF_PROG_TYPE_EXT`): the program to replace a function of. */
  readonly targetFd?: number;
  /** For `freplace`: the BTF id of the replaced function in the target's BTF. */
  readonly targetBtfId?: number;
  /** Names the target in messages (the SEC() target: `do_unlinkat`, `file_open`). */
  readonly targetName?: string;
}

/**
 * Attaches a program whose target was fixed at load by `attach_btf_id`: `tp_btf` (BTF raw
 * tracepoint), `fentry`/`fexit`/`fmod_ret` (Linux 5.5+), `lsm` (5.7+), `freplace` (5.6+). Uses
 * `BPF_LINK_CREATE` with the program's expected attach type, falling back to
 * `BPF_RAW_TRACEPOINT_OPEN` on kernels whose LINK_CREATE does not know tracing programs.
 *
 * Trampoline-based hooks need the architecture's BPF trampoline (and ftrace direct calls): a
 * kernel without it refuses (`ENOTSUPP`, `EPERM` in some configurations even for root); that is a
 * `NotSupportedError` naming the hook.
 *
 * @example
 * ```ts
 * using link = attachTracing(obj.program('on_sched_switch')!); // SEC("tp_btf/sched_switch")
 * ```
 */
export function attachTracing(program: AttachableProgram, options: TracingOptions = {}): Link {
  const attachType = program.expectedAttachType ?? AttachType.TRACE_RAW_TP;
  const family = TRAMPOLINE_ATTACH_TYPES.get(attachType) ?? (attachType === AttachType.TRACE_RAW_TP ? 'tp_btf' : options.targetFd !== undefined ? 'freplace' : 'tracing');
  const target = options.targetName ?? '(BTF target)';
  const description = `${family} ${target}`;
  let fd;
  try {
    fd = linkCreate({
      program,
      target: options.targetFd ?? 0,
      attachType,
      description,
      extra: (w) => {
        if (options.targetBtfId !== undefined) w.u32(LinkCreateLayout.targetBtfId, options.targetBtfId);
        if (options.cookie !== undefined) w.u64(LinkCreateLayout.tracingCookie, options.cookie);
      },
    });
  } catch (e) {
    const code = errnoCode(e);
    const trampoline = TRAMPOLINE_ATTACH_TYPES.get(attachType);
    const refused = trampoline === undefined ? undefined : trampolineUnavailableReason();
    if (refused !== undefined) {
      throw new NotSupportedError(TRAMPOLINE_FEATURE, `program '${programLabel(program)}' -> ${description}: ${refused}`, { cause: e });
    }
    if (code !== 'EINVAL' || options.cookie !== undefined || options.targetFd !== undefined) throw e;
    fd = rawTracepointOpen(program, null, 0n);
  }
  return new Link({ kind: family, program: programLabel(program), target, linkFd: fd });
}

/**
 * Why this kernel cannot run trampoline programs (fentry, fexit, fmod_ret, lsm), or `undefined`
 * when it can: loads a two-instruction `fentry` program on `do_nanosleep` (probed once per
 * process, as root; the probe is `src/sys`'s, shared with the loader). Kernels without BPF
 * trampolines refuse the load itself (`ENOTSUPP`, or `EPERM` even for root), so an object with
 * such programs fails at load and this explains why.
 *
 * @example
 * ```ts
 * const why = trampolineUnavailableReason();
 * if (why !== undefined) console.warn(`skipping fentry programs: ${why}`);
 * ```
 */
export function trampolineUnavailableReason(): string | undefined {
  return trampolineRefusalReason((name) => loadKernelBtf().findByName(name, 'FUNC')[0]);
}
