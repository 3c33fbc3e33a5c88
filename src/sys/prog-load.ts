/**
 * `BPF_PROG_LOAD`: the `union bpf_attr` encoder and the raw call. Takes instruction bytes and
 * already-built BTF/func_info/line_info buffers; the loader (`src/loader`) decides what goes in
 * them. Field layout: the PROG_LOAD struct of `union bpf_attr`, kernel 6.18.
 */
import { native, type NativeError } from './native.js';
import { BpfCmd } from './bpf.js';
import { SysError, isNativeError, toSysError } from './errors.js';
import { AttrFieldError, decodeLog, writeObjName, writeS32, writeU32, writeU64 } from './attr-field.js';

/** `prog_flags` bits of `BPF_PROG_LOAD` (`BPF_F_*` in `include/uapi/linux/bpf.h`). */
export const ProgLoadFlag = {
  /** `BPF_F_STRICT_ALIGNMENT`: verify alignment as if the arch needed it. */
  STRICT_ALIGNMENT: 1 << 0,
  /** `BPF_F_ANY_ALIGNMENT`: skip alignment checks (testing only). */
  ANY_ALIGNMENT: 1 << 1,
  /** `BPF_F_TEST_RND_HI32`: randomize upper halves after 32-bit ops (testing only). */
  TEST_RND_HI32: 1 << 2,
  /** `BPF_F_TEST_STATE_FREQ`: checkpoint verifier states often (testing only). */
  TEST_STATE_FREQ: 1 << 3,
  /** `BPF_F_SLEEPABLE` (5.10): the program may sleep (sleepable LSM/fentry/uprobe/syscall). */
  SLEEPABLE: 1 << 4,
  /** `BPF_F_XDP_HAS_FRAGS` (5.18): XDP program understands multi-buffer frames. */
  XDP_HAS_FRAGS: 1 << 5,
  /** `BPF_F_XDP_DEV_BOUND_ONLY` (6.3): device-bound XDP program using dev-specific kfuncs. */
  XDP_DEV_BOUND_ONLY: 1 << 6,
  /** `BPF_F_TEST_REG_INVARIANTS` (6.8): verifier self-checks register bounds (testing only). */
  TEST_REG_INVARIANTS: 1 << 7,
  /** `BPF_F_TOKEN_FD` (6.9): `prog_token_fd` holds a BPF token. */
  TOKEN_FD: 1 << 16,
} as const;
export type ProgLoadFlag = (typeof ProgLoadFlag)[keyof typeof ProgLoadFlag];

/** `log_level` bits (`BPF_LOG_*` in `include/linux/bpf_verifier.h`). */
export const VerifierLogLevel = {
  /** `BPF_LOG_LEVEL1`: errors and the path to them. */
  BASIC: 1,
  /** `BPF_LOG_LEVEL2`: every instruction of every explored path. */
  VERBOSE: 2,
  /** `BPF_LOG_STATS`: verification statistics. */
  STATS: 4,
  /** `BPF_LOG_FIXED` (6.4): keep the log's beginning when truncating instead of its end. */
  FIXED: 8,
} as const;
export type VerifierLogLevel = (typeof VerifierLogLevel)[keyof typeof VerifierLogLevel];

/** Bytes of `union bpf_attr` up to and including `keyring_id`, the last PROG_LOAD field (6.18). */
export const PROG_LOAD_ATTR_SIZE = 168;

/**
 * The PROG_LOAD fields of `union bpf_attr`, one property per kernel field (same names in
 * camelCase); pointer fields are user-space addresses. Absent fields encode as zero.
 */
export interface ProgLoadAttr {
  /** `prog_type`: `enum bpf_prog_type`. */
  readonly progType: number;
  /** `insn_cnt`: number of 8-byte `struct bpf_insn`. */
  readonly insnCnt?: number;
  /** `insns`: address of the instructions. */
  readonly insns?: bigint;
  /** `license`: address of a NUL-terminated license string. */
  readonly license?: bigint;
  /** `log_level`: {@link VerifierLogLevel} bits. */
  readonly logLevel?: number;
  /** `log_size`: bytes of the log buffer. */
  readonly logSize?: number;
  /** `log_buf`: address of the log buffer. */
  readonly logBuf?: bigint;
  /** `kern_version`: checked for kprobes by kernels before 5.0. */
  readonly kernVersion?: number;
  /** `prog_flags`: {@link ProgLoadFlag} bits. */
  readonly progFlags?: number;
  /** `prog_name`: at most 15 characters of `[A-Za-z0-9_.]`. */
  readonly progName?: string;
  /** `prog_ifindex`: netdev to offload to / bind to. */
  readonly progIfindex?: number;
  /** `expected_attach_type`: `enum bpf_attach_type`. */
  readonly expectedAttachType?: number;
  /** `prog_btf_fd`: the program's BTF object. */
  readonly progBtfFd?: number;
  /** `func_info_rec_size`: size of one `struct bpf_func_info` record. */
  readonly funcInfoRecSize?: number;
  /** `func_info`: address of the records. */
  readonly funcInfo?: bigint;
  /** `func_info_cnt`: number of records. */
  readonly funcInfoCnt?: number;
  /** `line_info_rec_size`: size of one `struct bpf_line_info` record. */
  readonly lineInfoRecSize?: number;
  /** `line_info`: address of the records. */
  readonly lineInfo?: bigint;
  /** `line_info_cnt`: number of records. */
  readonly lineInfoCnt?: number;
  /** `attach_btf_id`: BTF type id of the attach target (fentry/fexit/lsm/struct_ops/ext/iter). */
  readonly attachBtfId?: number;
  /** `attach_prog_fd` / `attach_btf_obj_fd` (one union slot): target program, or module BTF. */
  readonly attachFd?: number;
  /** `core_relo_cnt`: number of `struct bpf_core_relo` for kernel-side CO-RE. */
  readonly coreReloCnt?: number;
  /** `fd_array`: address of an `int[]` of map/BTF fds referenced by index. */
  readonly fdArray?: bigint;
  /** `core_relos`: address of the `struct bpf_core_relo` records. */
  readonly coreRelos?: bigint;
  /** `core_relo_rec_size`: size of one `struct bpf_core_relo`. */
  readonly coreReloRecSize?: number;
  /** `log_true_size`: output only (6.4); encoded as given (normally 0). */
  readonly logTrueSize?: number;
  /** `prog_token_fd` (6.9): BPF token, with {@link ProgLoadFlag.TOKEN_FD}. */
  readonly progTokenFd?: number;
  /** `fd_array_cnt` (6.14): `fd_array` length; all its maps are bound to the program. */
  readonly fdArrayCnt?: number;
  /** `signature` (6.18): address of the program's signature. */
  readonly signature?: bigint;
  /** `signature_size` (6.18). */
  readonly signatureSize?: number;
  /** `keyring_id` (6.18): kernel keyring to verify the signature with. */
  readonly keyringId?: number;
}

/**
 * Encodes the PROG_LOAD fields of `union bpf_attr` ({@link PROG_LOAD_ATTR_SIZE} bytes, little
 * endian). Bytes after the last field the kernel knows must be zero, so an older kernel answers a
 * newer field with `E2BIG` rather than ignoring it.
 *
 * @example
 * ```ts
 * const attr = encodeProgLoadAttr({ progType: 1, insnCnt: 2, insns: addr, license: licAddr });
 * ```
 */
export function encodeProgLoadAttr(a: ProgLoadAttr): Uint8Array {
  const bytes = new Uint8Array(PROG_LOAD_ATTR_SIZE);
  const v = new DataView(bytes.buffer);
  writeU32(v, 0, 'prog_type', a.progType);
  writeU32(v, 4, 'insn_cnt', a.insnCnt ?? 0);
  writeU64(v, 8, 'insns', a.insns ?? 0n);
  writeU64(v, 16, 'license', a.license ?? 0n);
  writeU32(v, 24, 'log_level', a.logLevel ?? 0);
  writeU32(v, 28, 'log_size', a.logSize ?? 0);
  writeU64(v, 32, 'log_buf', a.logBuf ?? 0n);
  writeU32(v, 40, 'kern_version', a.kernVersion ?? 0);
  writeU32(v, 44, 'prog_flags', a.progFlags ?? 0);
  if (a.progName !== undefined) writeObjName(v, 48, 'prog_name', a.progName);
  writeU32(v, 64, 'prog_ifindex', a.progIfindex ?? 0);
  writeU32(v, 68, 'expected_attach_type', a.expectedAttachType ?? 0);
  writeU32(v, 72, 'prog_btf_fd', a.progBtfFd ?? 0);
  writeU32(v, 76, 'func_info_rec_size', a.funcInfoRecSize ?? 0);
  writeU64(v, 80, 'func_info', a.funcInfo ?? 0n);
  writeU32(v, 88, 'func_info_cnt', a.funcInfoCnt ?? 0);
  writeU32(v, 92, 'line_info_rec_size', a.lineInfoRecSize ?? 0);
  writeU64(v, 96, 'line_info', a.lineInfo ?? 0n);
  writeU32(v, 104, 'line_info_cnt', a.lineInfoCnt ?? 0);
  writeU32(v, 108, 'attach_btf_id', a.attachBtfId ?? 0);
  writeU32(v, 112, 'attach_prog_fd', a.attachFd ?? 0);
  writeU32(v, 116, 'core_relo_cnt', a.coreReloCnt ?? 0);
  writeU64(v, 120, 'fd_array', a.fdArray ?? 0n);
  writeU64(v, 128, 'core_relos', a.coreRelos ?? 0n);
  writeU32(v, 136, 'core_relo_rec_size', a.coreReloRecSize ?? 0);
  writeU32(v, 140, 'log_true_size', a.logTrueSize ?? 0);
  writeS32(v, 144, 'prog_token_fd', a.progTokenFd ?? 0);
  writeU32(v, 148, 'fd_array_cnt', a.fdArrayCnt ?? 0);
  writeU64(v, 152, 'signature', a.signature ?? 0n);
  writeU32(v, 160, 'signature_size', a.signatureSize ?? 0);
  writeS32(v, 164, 'keyring_id', a.keyringId ?? 0);
  return bytes;
}

/** A buffer of fixed-size records (`func_info`, `line_info`, `core_relos`) and the record size. */
export interface RecordBuffer {
  /** The records, back to back. */
  readonly data: Uint8Array;
  /** Bytes per record (`*_rec_size`); `data.byteLength` must be a multiple of it. */
  readonly recSize: number;
}

/** What to load, with real buffers: {@link progLoad} takes their addresses for the call. */
export interface ProgLoadOptions {
  /** `prog_type`: `enum bpf_prog_type`. */
  readonly progType: number;
  /** The instructions: 8 bytes per `struct bpf_insn`, host byte order. */
  readonly insns: Uint8Array;
  /** `license`, e.g. `'GPL'` (GPL-only helpers need a GPL-compatible license). */
  readonly license: string;
  /** `prog_name`. */
  readonly name?: string;
  /** `expected_attach_type`. */
  readonly expectedAttachType?: number;
  /** `attach_btf_id`. */
  readonly attachBtfId?: number;
  /** `attach_btf_obj_fd`: module BTF holding {@link attachBtfId} (0/absent: vmlinux). */
  readonly attachBtfObjFd?: number;
  /** `attach_prog_fd`: the program to extend or trace (`ext`, fentry on a BPF program). */
  readonly attachProgFd?: number;
  /** `prog_btf_fd`: the object's BTF, needed with func/line info. */
  readonly progBtfFd?: number;
  /** `func_info` records + `func_info_rec_size`. */
  readonly funcInfo?: RecordBuffer;
  /** `line_info` records + `line_info_rec_size`. */
  readonly lineInfo?: RecordBuffer;
  /** `core_relos` records + `core_relo_rec_size` (kernel-side CO-RE). */
  readonly coreRelos?: RecordBuffer;
  /** `fd_array`: fds referenced by `BPF_PSEUDO_MAP_IDX`/kfunc BTF indexes. */
  readonly fdArray?: readonly number[] | Int32Array;
  /** `fd_array_cnt` (6.14): set to bind every map of `fdArray` to the program. */
  readonly fdArrayCnt?: number;
  /** `prog_flags`: {@link ProgLoadFlag} bits. */
  readonly flags?: number;
  /** `prog_ifindex`. */
  readonly ifindex?: number;
  /** `kern_version` (only kernels before 5.0 check it, for kprobes). */
  readonly kernVersion?: number;
  /** `prog_token_fd` (set {@link ProgLoadFlag.TOKEN_FD} in `flags` too). */
  readonly tokenFd?: number;
  /** `signature` + `signature_size` (6.18). */
  readonly signature?: Uint8Array;
  /** `keyring_id` (6.18). */
  readonly keyringId?: number;
  /**
   * `log_level`: {@link VerifierLogLevel} bits. Defaults to BASIC when `logBuffer` or `logSize`
   * is given, else 0 (no log: the fastest load).
   */
  readonly logLevel?: number;
  /** `log_size` when no `logBuffer` is given (default 1 MiB; the kernel needs at least 128). */
  readonly logSize?: number;
  /** `log_buf`: reuse this buffer for the log (probes load thousands of programs). */
  readonly logBuffer?: Uint8Array;
}

/** A successful load. */
export interface ProgLoadResult {
  /** The new program's fd; the caller owns and must close it. */
  readonly fd: number;
  /** The verifier log ('' without a log level). */
  readonly log: string;
  /** `log_true_size` (6.4+, else 0): bytes the whole log needs, including the NUL. */
  readonly logTrueSize: number;
}

/** The outcome of {@link tryProgLoad}: a program fd, or the errno and the verifier's log. */
export type ProgLoadAttempt =
  | { readonly ok: true; readonly fd: number; readonly log: string; readonly logTrueSize: number }
  | {
      readonly ok: false;
      readonly errno: number;
      readonly code: string;
      readonly log: string;
      readonly logTrueSize: number;
      /** The addon's error, for wrapping. */
      readonly cause: NativeError;
    };

/**
 * `BPF_PROG_LOAD` failed. `log` is the verifier's log (empty without a log level); `ENOSPC`
 * with a log means the buffer was too small and `logTrueSize` says how much is needed.
 */
export class ProgLoadError extends SysError {
  constructor(
    message: string,
    errno: number,
    code: string,
    /** The verifier log. */
    readonly log: string,
    /** `log_true_size` from the kernel (0 before 6.4). */
    readonly logTrueSize: number,
    options?: ErrorOptions,
  ) {
    super(message, errno, code, 'bpf', 'BPF_PROG_LOAD', options);
  }
}

const DEFAULT_LOG_SIZE = 1 << 20;
const MIN_LOG_SIZE = 128;
const LOG_TRUE_SIZE_OFFSET = 140;

const encoder = new TextEncoder();

/**
 * Buffers whose addresses are in the attr being passed to the kernel: a module-level reference
 * makes sure none is collected while the call runs, whatever the optimizer decides about locals.
 */
let inFlight: readonly ArrayBufferView[] = [];

function cString(s: string): Uint8Array {
  const bytes = new Uint8Array(encoder.encode(s).byteLength + 1);
  encoder.encodeInto(s, bytes);
  return bytes;
}

/** Probes load thousands of programs with the same license: encode it once. */
let lastLicense: { readonly text: string; readonly bytes: Uint8Array } | undefined;
function licenseBytes(text: string): Uint8Array {
  if (lastLicense?.text !== text) lastLicense = { text, bytes: cString(text) };
  return lastLicense.bytes;
}

function recordCount(field: string, r: RecordBuffer): number {
  if (!Number.isInteger(r.recSize) || r.recSize <= 0 || r.data.byteLength % r.recSize !== 0) {
    throw new AttrFieldError(field, `${r.data.byteLength} bytes is not a whole number of ${r.recSize}-byte records`);
  }
  return r.data.byteLength / r.recSize;
}

function loadWhat(o: ProgLoadOptions): string {
  return o.name === undefined || o.name === '' ? `BPF_PROG_LOAD (prog_type ${o.progType})` : `BPF_PROG_LOAD '${o.name}'`;
}

/**
 * Issues `BPF_PROG_LOAD` and reports failure as a value instead of throwing: probes call this
 * thousands of times and judge by errno and log. Invalid options still throw
 * {@link AttrFieldError}; a missing addon still throws.
 *
 * @example
 * ```ts
 * const r = tryProgLoad({ progType: 1, insns, license: 'GPL', logBuffer: new Uint8Array(4096) });
 * if (r.ok) close(r.fd); else if (r.log.includes('invalid func')) ...
 * ```
 */
export function tryProgLoad(o: ProgLoadOptions): ProgLoadAttempt {
  if (o.insns.byteLength % 8 !== 0) {
    throw new AttrFieldError('insns', `${o.insns.byteLength} bytes is not a whole number of 8-byte instructions`);
  }
  if (o.attachBtfObjFd !== undefined && o.attachProgFd !== undefined) {
    throw new AttrFieldError('attach_prog_fd', 'attach_prog_fd and attach_btf_obj_fd share one field: give only one');
  }
  const wantsLog = o.logBuffer !== undefined || o.logSize !== undefined || (o.logLevel ?? 0) !== 0;
  const logBuffer = wantsLog ? (o.logBuffer ?? new Uint8Array(o.logSize ?? DEFAULT_LOG_SIZE)) : undefined;
  if (logBuffer !== undefined) {
    if (logBuffer.byteLength < MIN_LOG_SIZE) {
      throw new AttrFieldError('log_size', `${logBuffer.byteLength} bytes is below the kernel's minimum of ${MIN_LOG_SIZE}`);
    }
    logBuffer[0] = 0;
  }
  const license = licenseBytes(o.license);
  const fdArray = o.fdArray === undefined ? undefined : o.fdArray instanceof Int32Array ? o.fdArray : Int32Array.from(o.fdArray);
  const n = native();
  const addr = (b: ArrayBufferView | undefined): bigint => (b === undefined || b.byteLength === 0 ? 0n : n.address(b));

  const attrFields: ProgLoadAttr = {
    progType: o.progType,
    insnCnt: o.insns.byteLength / 8,
    insns: addr(o.insns),
    license: addr(license),
    logLevel: logBuffer === undefined ? 0 : (o.logLevel ?? VerifierLogLevel.BASIC),
    logSize: logBuffer?.byteLength ?? 0,
    logBuf: addr(logBuffer),
    kernVersion: o.kernVersion ?? 0,
    progFlags: o.flags ?? 0,
    ...(o.name === undefined ? {} : { progName: o.name }),
    progIfindex: o.ifindex ?? 0,
    expectedAttachType: o.expectedAttachType ?? 0,
    progBtfFd: o.progBtfFd ?? 0,
    funcInfoRecSize: o.funcInfo?.recSize ?? 0,
    funcInfo: addr(o.funcInfo?.data),
    funcInfoCnt: o.funcInfo === undefined ? 0 : recordCount('func_info', o.funcInfo),
    lineInfoRecSize: o.lineInfo?.recSize ?? 0,
    lineInfo: addr(o.lineInfo?.data),
    lineInfoCnt: o.lineInfo === undefined ? 0 : recordCount('line_info', o.lineInfo),
    attachBtfId: o.attachBtfId ?? 0,
    attachFd: o.attachProgFd ?? o.attachBtfObjFd ?? 0,
    coreReloCnt: o.coreRelos === undefined ? 0 : recordCount('core_relos', o.coreRelos),
    fdArray: addr(fdArray),
    coreRelos: addr(o.coreRelos?.data),
    coreReloRecSize: o.coreRelos?.recSize ?? 0,
    progTokenFd: o.tokenFd ?? 0,
    fdArrayCnt: o.fdArrayCnt ?? 0,
    signature: addr(o.signature),
    signatureSize: o.signature?.byteLength ?? 0,
    keyringId: o.keyringId ?? 0,
  };
  const attr = encodeProgLoadAttr(attrFields);
  const pinned: ArrayBufferView[] = [attr, o.insns, license];
  for (const b of [logBuffer, fdArray, o.funcInfo?.data, o.lineInfo?.data, o.coreRelos?.data, o.signature]) {
    if (b !== undefined) pinned.push(b);
  }
  inFlight = pinned;
  // A failed load is an answer here, not a bug: skip capturing a stack for the addon's error
  // (it dominated the cost of feature probes, which expect thousands of failures).
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let fd: number;
  try {
    // The verifier gives up with EAGAIN when a signal is pending (a profiler's SIGPROF, a child's
    // SIGCHLD): try again, as libbpf does (PROG_LOAD_ATTEMPTS = 5).
    for (let attempt = 1; ; attempt++) {
      try {
        fd = n.bpf(BpfCmd.PROG_LOAD, attr);
        break;
      } catch (e) {
        if (attempt < PROG_LOAD_ATTEMPTS && isNativeError(e) && e.code === 'EAGAIN') continue;
        throw e;
      }
    }
  } catch (e) {
    if (!isNativeError(e)) throw e;
    const logTrueSize = new DataView(attr.buffer).getUint32(LOG_TRUE_SIZE_OFFSET, true);
    return { ok: false, errno: e.errno, code: e.code, log: logBuffer ? decodeLog(logBuffer) : '', logTrueSize, cause: e };
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    inFlight = [];
  }
  const logTrueSize = new DataView(attr.buffer).getUint32(LOG_TRUE_SIZE_OFFSET, true);
  return { ok: true, fd, log: logBuffer ? decodeLog(logBuffer) : '', logTrueSize };
}

/** libbpf's PROG_LOAD_ATTEMPTS: loads that fail with EAGAIN (a signal arrived) are tried this often. */
const PROG_LOAD_ATTEMPTS = 5;

/** The verifier's complaint: the last log line that is not one of its closing statistics. */
function lastLogLine(log: string): string | undefined {
  const lines = log.split('\n').filter((l) => l.trim() !== '' && !/^(processed \d+ insns|verification time|stack depth)/.test(l));
  return lines[lines.length - 1];
}

/**
 * Loads a program with `BPF_PROG_LOAD`. Throws {@link ProgLoadError} (a {@link SysError}) with
 * the verifier log on failure; retrying with a bigger log buffer is the caller's choice.
 *
 * @example
 * ```ts
 * // r0 = 0; exit
 * const insns = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
 * const { fd, log } = progLoad({ progType: 1, insns, license: 'GPL', logLevel: VerifierLogLevel.BASIC });
 * ```
 */
export function progLoad(o: ProgLoadOptions): ProgLoadResult {
  const r = tryProgLoad(o);
  if (r.ok) return { fd: r.fd, log: r.log, logTrueSize: r.logTrueSize };
  const base = toSysError(r.cause, 'bpf', loadWhat(o), 'BPF_PROG_LOAD');
  const tail = lastLogLine(r.log);
  const message = tail === undefined ? base.message : `${base.message}; verifier: ${tail}`;
  throw new ProgLoadError(message, r.errno, r.code, r.log, r.logTrueSize, { cause: r.cause });
}
