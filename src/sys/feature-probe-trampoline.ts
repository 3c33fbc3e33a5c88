/**
 * Does this kernel run BPF trampolines (fentry, fexit, fmod_ret, lsm)? Kernels without them
 * (no trampoline JIT for the architecture, no ftrace direct calls) refuse the program load itself
 * with a bare `EPERM` or `ENOTSUPP`, even for root and with an empty verifier log, which says
 * nothing to a user. The loader (a failed load) and the links layer (a failed attach) both explain
 * such refusals with this one probe.
 */
import { native } from './native.js';
import { tryProgLoad } from './prog-load.js';
import { RETURN_ZERO } from './feature-probe-insns.js';
import { AttachType, ProgType } from './uapi.js';

/** The feature named by the `NotSupportedError`s that trampoline refusals become. */
export const TRAMPOLINE_FEATURE = 'BPF trampoline';

/** Attach types whose programs run through a BPF trampoline, with their SEC() family name. */
export const TRAMPOLINE_ATTACH_TYPES: ReadonlyMap<number, string> = new Map([
  [AttachType.TRACE_FENTRY, 'fentry'],
  [AttachType.TRACE_FEXIT, 'fexit'],
  [AttachType.MODIFY_RETURN, 'fmod_ret'],
  [AttachType.LSM_MAC, 'lsm'],
]);

/**
 * The vmlinux function the probe's fentry program targets: present on every kernel with BTF and
 * traceable (libbpf's and bpftool's examples attach to it too).
 */
export const TRAMPOLINE_PROBE_FUNC = 'do_nanosleep';

const EPERM = 1;
const EOPNOTSUPP = 95;
/** `ENOTSUPP`: kernel-internal errno that `BPF_PROG_LOAD` leaks when trampolines are missing. */
const ENOTSUPP = 524;

/**
 * True for the errnos a kernel without trampolines refuses a trampoline program's load with.
 * Only meaningful for root: for anyone else `EPERM` just means missing privileges.
 */
export function isTrampolineRefusalErrno(errno: number): boolean {
  return errno === EPERM || errno === ENOTSUPP || errno === EOPNOTSUPP;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

let probed: { readonly reason: string | undefined } | undefined;

/**
 * Why this kernel cannot run trampoline programs, or `undefined` when it can (or when nothing
 * can be concluded: not root, or no probe target). Loads a two-instruction `fentry` program on
 * {@link TRAMPOLINE_PROBE_FUNC}, once per process. The BTF id lookup is the caller's (this
 * layer parses no BTF): `probeFuncBtfId` returns the vmlinux BTF id of a FUNC by name.
 *
 * @example
 * ```ts
 * const why = trampolineRefusalReason((name) => loadKernelBtf().findByName(name, 'FUNC')[0]);
 * if (why !== undefined) console.warn(`fentry programs cannot load: ${why}`);
 * ```
 */
export function trampolineRefusalReason(probeFuncBtfId: (name: string) => number | undefined): string | undefined {
  if (probed !== undefined) return probed.reason;
  // EPERM would only mean "not root"; nothing to conclude, and nothing cached either.
  if (!isRoot()) return undefined;
  let reason: string | undefined;
  const btfId = probeFuncBtfId(TRAMPOLINE_PROBE_FUNC);
  if (btfId === undefined) {
    reason = `vmlinux BTF has no ${TRAMPOLINE_PROBE_FUNC} to probe BPF trampolines with`;
  } else {
    const r = tryProgLoad({ progType: ProgType.TRACING, insns: RETURN_ZERO, license: 'GPL', expectedAttachType: AttachType.TRACE_FENTRY, attachBtfId: btfId, name: 'bpfts_tramp' });
    if (r.ok) {
      native().close(r.fd);
    } else if (isTrampolineRefusalErrno(r.errno)) {
      reason = `the kernel refused a BPF trampoline (loading an fentry program as root failed with ${r.code}): fentry/fexit/fmod_ret/lsm programs need trampoline support (an x86-64/arm64 JIT with CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS), which this kernel does not provide`;
    }
  }
  probed = { reason };
  return reason;
}
