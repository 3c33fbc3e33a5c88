/**
 * libbpf's `bpf_object_load_prog()`: one relocated program into the kernel. The attach BTF id
 * comes from libbpf's naming rules; the first attempt carries no log (the fast path); a failure
 * is retried with a level-1 log, growing the buffer on `ENOSPC`, and reported as a
 * `VerifierError` naming the failing source line.
 */
import { createRequire } from 'node:module';
import { errnoHint, NotSupportedError } from '../sys/errors.js';
import { OwnedFd } from '../sys/fd.js';
import { isTrampolineRefusalErrno, trampolineRefusalReason, TRAMPOLINE_ATTACH_TYPES, TRAMPOLINE_FEATURE } from '../sys/feature-probe-trampoline.js';
import { probeProgType } from '../sys/feature-probe.js';
import { ProgLoadFlag, tryProgLoad, type ProgLoadAttempt, type ProgLoadOptions, type RecordBuffer } from '../sys/prog-load.js';
import { AttachType, ProgType, ProgTypeName } from '../sys/uapi.js';
import type { ExplainContext } from '../verifier-log/explain.js';
import type { VerifierError } from '../verifier-log/verifier-error.js';
import { loadKernelBtf } from '../btf/kernel-btf.js';
import type { BtfStringTable } from '../btf/string-table.js';
import { findKernelBtf, type KernelBtfTarget } from './externs-resolve.js';
import type { KernelFacts } from './kernel-facts.js';
import { LoadError } from './load-errors.js';
import { LINE_INFO_SOURCE, LINE_INFO_STRINGS, type FuncInfoRecord, type LineInfoRecord, type ProgramSpec } from './program-spec.js';
import { matchSection, SecFlag } from './section-defs.js';

/** libbpf's `BPF_LOG_BUF_SIZE`: the largest log buffer it grows to (`UINT32_MAX >> 8`). */
export const MAX_LOG_SIZE = 0xffffffff >>> 8;
/** First log buffer of the retry. */
const FIRST_LOG_SIZE = 1 << 20;

/**
 * The BTF name and kind an attach target is looked up as (libbpf's `find_attach_btf_id` via
 * `btf_trace_`/`bpf_lsm_`/`bpf_iter_` prefixes), or `undefined` for programs without one.
 */
export function attachBtfName(spec: Pick<ProgramSpec, 'section' | 'type' | 'expectedAttachType' | 'attachTo'>): { name: string; kind: 'FUNC' | 'TYPEDEF' } | undefined {
  const def = matchSection(spec.section).def;
  if (def === undefined || (def.flags & SecFlag.ATTACH_BTF) === 0) return undefined;
  const target = spec.attachTo;
  if (target === undefined || target === '') return undefined;
  // `module:func` names a module's function; the module is searched like every other.
  const name = target.includes(':') ? target.slice(target.indexOf(':') + 1) : target;
  if (spec.type === ProgType.TRACING && spec.expectedAttachType === AttachType.TRACE_RAW_TP) return { name: `btf_trace_${name}`, kind: 'TYPEDEF' };
  if (spec.type === ProgType.LSM) return { name: `bpf_lsm_${name}`, kind: 'FUNC' };
  if (spec.type === ProgType.TRACING && spec.expectedAttachType === AttachType.TRACE_ITER) return { name: `bpf_iter_${name}`, kind: 'FUNC' };
  return { name, kind: 'FUNC' };
}

/** Resolves a program's `attach_btf_id` in vmlinux (then module) BTF; throws {@link LoadError} when absent. */
export function resolveAttachTarget(spec: ProgramSpec, facts: KernelFacts): KernelBtfTarget | undefined {
  const want = attachBtfName(spec);
  if (want === undefined) return undefined;
  const found = findKernelBtf(facts, want.name, want.kind);
  if (found === undefined) {
    throw new LoadError(`attach target '${spec.attachTo ?? ''}' not found: no ${want.kind} '${want.name}' in kernel BTF`, { program: spec.name });
  }
  return found;
}

/** `struct bpf_func_info` records (8 bytes each). */
export function encodeFuncInfo(records: readonly FuncInfoRecord[]): RecordBuffer {
  const data = new Uint8Array(records.length * 8);
  const v = new DataView(data.buffer);
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as FuncInfoRecord;
    v.setUint32(i * 8, r.insnIndex, true);
    v.setUint32(i * 8 + 4, r.typeId, true);
  }
  return { data, recSize: 8 };
}

/** `struct bpf_line_info` records (16 bytes each); string offsets from the loaded BTF's table. */
export function encodeLineInfo(records: readonly LineInfoRecord[], strings: BtfStringTable): RecordBuffer {
  const data = new Uint8Array(records.length * 16);
  const v = new DataView(data.buffer);
  const seed = strings.seededFrom;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as LineInfoRecord;
    // A record still as parsed keeps its offsets: the table holds the seed's strings at theirs.
    const source = seed !== undefined && r[LINE_INFO_STRINGS] === seed ? r[LINE_INFO_SOURCE] : undefined;
    v.setUint32(i * 16, r.insnIndex, true);
    v.setUint32(i * 16 + 4, source !== undefined && source.fileName === r.fileName ? source.fileNameOff : strings.add(r.fileName), true);
    v.setUint32(i * 16 + 8, source !== undefined && source.line === r.line ? source.lineOff : strings.add(r.line), true);
    v.setUint32(i * 16 + 12, ((r.lineNumber << 10) | (r.column & 0x3ff)) >>> 0, true);
  }
  return { data, recSize: 16 };
}

/** Everything `BPF_PROG_LOAD` gets for one program. */
export interface ProgramLoadInput {
  readonly spec: ProgramSpec;
  readonly instructions: Uint8Array;
  readonly license: string;
  readonly kernVersion: number;
  readonly btfFd: number | undefined;
  readonly funcInfo: RecordBuffer | undefined;
  readonly lineInfo: RecordBuffer | undefined;
  readonly attach: KernelBtfTarget | undefined;
  /** fd of the module BTF `attach` lives in. */
  readonly attachBtfObjFd: number | undefined;
  /** `fd_array` for module kfunc calls (slot 0 unused, as in libbpf). */
  readonly fdArray: readonly number[] | undefined;
  /** Verifier log level for every attempt (0: only on failure, at level 1). */
  readonly logLevel: number;
  /** Loader facts for the verifier's explanation. */
  readonly explain: ExplainContext;
  /** Called with each log the kernel returned (debug output). */
  readonly onLog?: (log: string) => void;
  /** The object file, for errors that are not `LoadError`s (those get it from the caller). */
  readonly fileName?: string | undefined;
}

/** The loaded program fd and the log (when one was requested or a retry produced one). */
export interface LoadedProgramFd {
  readonly fd: OwnedFd;
  readonly log: string;
}

/**
 * Loads one program. Throws `VerifierError` when the verifier rejects it (message names the
 * source line), `NotSupportedError` (feature `'BPF trampoline'`) when a fentry/fexit/fmod_ret/lsm
 * program is refused because the kernel has no BPF trampolines, {@link LoadError} for other
 * failures that leave no log (`EINVAL` on attributes, ...).
 *
 * @example
 * ```ts
 * const { fd } = loadProgram({ spec, instructions, license: 'GPL', kernVersion: 0, btfFd: undefined, funcInfo: undefined, lineInfo: undefined, attach: undefined, attachBtfObjFd: undefined, fdArray: undefined, logLevel: 0, explain: {} });
 * ```
 */
export function loadProgram(input: ProgramLoadInput): LoadedProgramFd {
  const s = input.spec;
  let flags = 0;
  if (s.sleepable) flags |= ProgLoadFlag.SLEEPABLE;
  if (s.xdpFrags) flags |= ProgLoadFlag.XDP_HAS_FRAGS;
  const base: ProgLoadOptions = {
    progType: s.type,
    insns: input.instructions,
    license: input.license,
    name: s.name.slice(0, 15),
    expectedAttachType: s.expectedAttachType,
    kernVersion: input.kernVersion,
    flags,
    ...(input.btfFd === undefined ? {} : { progBtfFd: input.btfFd }),
    ...(input.btfFd === undefined || input.funcInfo === undefined || input.funcInfo.data.length === 0 ? {} : { funcInfo: input.funcInfo }),
    ...(input.btfFd === undefined || input.lineInfo === undefined || input.lineInfo.data.length === 0 ? {} : { lineInfo: input.lineInfo }),
    ...(input.attach === undefined ? {} : { attachBtfId: input.attach.btfId }),
    ...(input.attachBtfObjFd === undefined ? {} : { attachBtfObjFd: input.attachBtfObjFd }),
    ...(input.fdArray === undefined ? {} : { fdArray: input.fdArray }),
  };
  let attempt: ProgLoadAttempt =
    input.logLevel === 0 ? loadRetryingEagain(base) : loadRetryingEagain({ ...base, logLevel: input.logLevel, logSize: FIRST_LOG_SIZE });
  let size = FIRST_LOG_SIZE;
  if (!attempt.ok && input.logLevel === 0) attempt = loadRetryingEagain({ ...base, logLevel: 1, logSize: size });
  const level = input.logLevel === 0 ? 1 : input.logLevel;
  while (!attempt.ok && attempt.code === 'ENOSPC' && size < MAX_LOG_SIZE) {
    size = Math.min(MAX_LOG_SIZE, Math.max(size * 2, attempt.logTrueSize));
    attempt = loadRetryingEagain({ ...base, logLevel: level, logSize: size });
  }
  if (attempt.log !== '') input.onLog?.(attempt.log);
  if (attempt.ok) return { fd: new OwnedFd(attempt.fd, `prog ${s.name}`), log: attempt.log };
  if (attempt.code === 'EAGAIN') {
    // The partial log of an interrupted verifier names no error; a VerifierError saying so would
    // send the user looking for a bug in the program.
    throw new LoadError(
      "BPF_PROG_LOAD was interrupted by a signal on every retry (EAGAIN): the verifier gives up when a signal is pending, e.g. a profiler's SIGPROF (node --cpu-prof) or a timer firing faster than the program verifies",
      { ...(input.fileName === undefined ? {} : { fileName: input.fileName }), program: s.name },
      { cause: attempt.cause },
    );
  }
  if (attempt.log.trim() === '') {
    const refused = trampolineRefusal(s, attempt.errno);
    if (refused !== undefined) {
      const where = `${input.fileName === undefined ? '' : `${input.fileName}: `}program '${s.name}' (${[refused.family, s.attachTo ?? ''].filter((x) => x !== '').join(' ')})`;
      throw new NotSupportedError(TRAMPOLINE_FEATURE, `${where}: BPF_PROG_LOAD failed with ${attempt.code}: ${refused.reason}`, { cause: attempt.cause });
    }
    // EINVAL and no log: a program type the kernel does not have (netfilter before 6.4) is
    // refused before the verifier runs. The feature probe tells that apart from bad attributes.
    if (attempt.code === 'EINVAL' && !progTypeAvailable(s.type)) {
      const typeName = ProgTypeName.get(s.type) ?? `type ${s.type}`;
      const where = `${input.fileName === undefined ? '' : `${input.fileName}: `}program '${s.name}'`;
      throw new NotSupportedError(`program type ${typeName}`, `${where}: the kernel has no ${typeName} programs (BPF_PROG_LOAD failed with EINVAL, and so does the smallest ${typeName} program)`, { cause: attempt.cause });
    }
    const hint = errnoHint(attempt.code, 'BPF_PROG_LOAD');
    const why = attempt.code === 'EPERM' && hint !== undefined ? hint : 'no verifier log';
    throw new LoadError(`BPF_PROG_LOAD failed: ${attempt.code} (${attempt.cause.message}), ${why}`, { program: s.name }, { cause: attempt.cause });
  }
  throw new (verifierErrorClass())({ program: s.name, rawLog: attempt.log, errno: attempt.errno, context: input.explain, cause: attempt.cause });
}

/**
 * `VerifierError`, loaded when a program is rejected: its log parser and explainer are five
 * modules (~55 KB) that a successful load never runs, and every `bpf-ts prog load` paid for
 * them at start-up. Node >= 20.19 (our floor) loads ES modules synchronously through
 * `require()`; the class is the one an `import` gets, so `instanceof` holds.
 */
function verifierErrorClass(): typeof VerifierError {
  const load = createRequire(import.meta.url);
  return (load('../verifier-log/verifier-error.js') as typeof import('../verifier-log/verifier-error.js')).VerifierError;
}

/**
 * A trampoline program (fentry, fexit, fmod_ret, lsm) refused with a bare `EPERM`/`ENOTSUPP`:
 * on a kernel without BPF trampolines that is all the kernel says, even to root. The shared probe
 * (one tiny fentry load on a known-good target) tells that apart from a problem of this program,
 * and gives the reason; `undefined` when it does not apply or the probe loads fine.
 */
function trampolineRefusal(spec: ProgramSpec, errno: number): { family: string; reason: string } | undefined {
  // struct_ops programs are called through a trampoline too; their expected_attach_type is a
  // member index, not an attach type.
  const family = spec.type === ProgType.STRUCT_OPS ? 'struct_ops' : spec.type === ProgType.TRACING || spec.type === ProgType.LSM ? TRAMPOLINE_ATTACH_TYPES.get(spec.expectedAttachType) : undefined;
  if (family === undefined || !isTrampolineRefusalErrno(errno)) return undefined;
  // The running kernel's BTF, not a CO-RE target's: the probe loads into this kernel.
  const reason = trampolineRefusalReason((name) => loadKernelBtf().findByName(name, 'FUNC')[0]);
  return reason === undefined ? undefined : { family, reason };
}

/** The feature probe's answer; `true` when it cannot answer (then the kernel's error stands). */
function progTypeAvailable(progType: number): boolean {
  try {
    return probeProgType(progType);
  } catch {
    return true;
  }
}

/** How often libbpf repeats a program load the kernel interrupted (`sys_bpf_prog_load`). */
const EAGAIN_ATTEMPTS = 5;

/**
 * The verifier returns EAGAIN when a signal interrupts it (a profiler's timer, a child exiting):
 * the load is repeated, as libbpf does, instead of being reported as a failure.
 */
function loadRetryingEagain(options: ProgLoadOptions): ProgLoadAttempt {
  let attempt = tryProgLoad(options);
  for (let i = 1; i < EAGAIN_ATTEMPTS && !attempt.ok && attempt.code === 'EAGAIN'; i++) attempt = tryProgLoad(options);
  return attempt;
}
