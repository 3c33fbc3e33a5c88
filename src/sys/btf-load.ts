/**
 * `BPF_BTF_LOAD`: the `union bpf_attr` encoder and the raw call, with the kernel's BTF log.
 * Field layout: the BTF_LOAD struct of `union bpf_attr`, kernel 6.18.
 */
import { native, type NativeError } from './native.js';
import { BpfCmd } from './bpf.js';
import { SysError, isNativeError, toSysError } from './errors.js';
import { AttrFieldError, decodeLog, writeS32, writeU32, writeU64 } from './attr-field.js';

/** Bytes of `union bpf_attr` up to and including `btf_token_fd` (6.9). */
export const BTF_LOAD_ATTR_SIZE = 40;

/** The BTF_LOAD fields of `union bpf_attr` (camelCase kernel names); pointers are addresses. */
export interface BtfLoadAttr {
  /** `btf`: address of the raw BTF (header, types, strings). */
  readonly btf: bigint;
  /** `btf_log_buf`: address of the log buffer. */
  readonly btfLogBuf?: bigint;
  /** `btf_size`: bytes of raw BTF. */
  readonly btfSize: number;
  /** `btf_log_size`. */
  readonly btfLogSize?: number;
  /** `btf_log_level`: the verifier's `BPF_LOG_*` bits. */
  readonly btfLogLevel?: number;
  /** `btf_log_true_size`: output only (6.4). */
  readonly btfLogTrueSize?: number;
  /** `btf_flags` (6.9): `BPF_F_TOKEN_FD`. */
  readonly btfFlags?: number;
  /** `btf_token_fd` (6.9). */
  readonly btfTokenFd?: number;
}

/**
 * Encodes the BTF_LOAD fields of `union bpf_attr` ({@link BTF_LOAD_ATTR_SIZE} bytes).
 *
 * @example
 * ```ts
 * const attr = encodeBtfLoadAttr({ btf: address, btfSize: raw.byteLength });
 * ```
 */
export function encodeBtfLoadAttr(a: BtfLoadAttr): Uint8Array {
  const bytes = new Uint8Array(BTF_LOAD_ATTR_SIZE);
  const v = new DataView(bytes.buffer);
  writeU64(v, 0, 'btf', a.btf);
  writeU64(v, 8, 'btf_log_buf', a.btfLogBuf ?? 0n);
  writeU32(v, 16, 'btf_size', a.btfSize);
  writeU32(v, 20, 'btf_log_size', a.btfLogSize ?? 0);
  writeU32(v, 24, 'btf_log_level', a.btfLogLevel ?? 0);
  writeU32(v, 28, 'btf_log_true_size', a.btfLogTrueSize ?? 0);
  writeU32(v, 32, 'btf_flags', a.btfFlags ?? 0);
  writeS32(v, 36, 'btf_token_fd', a.btfTokenFd ?? 0);
  return bytes;
}

/** Raw BTF to load, and how to log. */
export interface BtfLoadOptions {
  /** Raw BTF: `struct btf_header`, type section, string section. */
  readonly data: Uint8Array;
  /** `btf_log_level`: defaults to 1 when `logBuffer`/`logSize` is given, else 0. */
  readonly logLevel?: number;
  /** `btf_log_size` when no `logBuffer` is given (default 64 KiB; at least 128). */
  readonly logSize?: number;
  /** `btf_log_buf`. */
  readonly logBuffer?: Uint8Array;
  /** `btf_flags`. */
  readonly flags?: number;
  /** `btf_token_fd`. */
  readonly tokenFd?: number;
}

/** A loaded BTF object. */
export interface BtfLoadResult {
  /** The BTF object's fd; the caller closes it. */
  readonly fd: number;
  /** The kernel's BTF log ('' without a log level). */
  readonly log: string;
}

/** The outcome of {@link tryBtfLoad}. */
export type BtfLoadAttempt =
  | { readonly ok: true; readonly fd: number; readonly log: string }
  | { readonly ok: false; readonly errno: number; readonly code: string; readonly log: string; readonly logTrueSize: number; readonly cause: NativeError };

/** `BPF_BTF_LOAD` failed; `log` is the kernel's BTF verifier log (e.g. `[3] STRUCT val size=8 Invalid member`). */
export class BtfLoadError extends SysError {
  constructor(
    message: string,
    errno: number,
    code: string,
    /** The kernel's BTF log. */
    readonly log: string,
    /** `btf_log_true_size` (0 before 6.4). */
    readonly logTrueSize: number,
    options?: ErrorOptions,
  ) {
    super(message, errno, code, 'bpf', 'BPF_BTF_LOAD', options);
  }
}

const MIN_LOG_SIZE = 128;
const DEFAULT_LOG_SIZE = 64 * 1024;
const LOG_TRUE_SIZE_OFFSET = 28;

/** Keeps the buffers whose addresses the kernel reads referenced during the call. */
let inFlight: readonly Uint8Array[] = [];

/** Issues `BPF_BTF_LOAD` and reports failure as a value, with the log. */
export function tryBtfLoad(o: BtfLoadOptions): BtfLoadAttempt {
  const wantsLog = o.logBuffer !== undefined || o.logSize !== undefined || (o.logLevel ?? 0) !== 0;
  const logBuffer = wantsLog ? (o.logBuffer ?? new Uint8Array(o.logSize ?? DEFAULT_LOG_SIZE)) : undefined;
  if (logBuffer !== undefined) {
    if (logBuffer.byteLength < MIN_LOG_SIZE) {
      throw new AttrFieldError('btf_log_size', `${logBuffer.byteLength} bytes is below the kernel's minimum of ${MIN_LOG_SIZE}`);
    }
    logBuffer[0] = 0;
  }
  if (o.data.byteLength === 0) throw new AttrFieldError('btf', 'no BTF bytes given');
  const n = native();
  const attr = encodeBtfLoadAttr({
    btf: n.address(o.data),
    btfSize: o.data.byteLength,
    btfLogBuf: logBuffer === undefined ? 0n : n.address(logBuffer),
    btfLogSize: logBuffer?.byteLength ?? 0,
    btfLogLevel: logBuffer === undefined ? 0 : (o.logLevel ?? 1),
    btfFlags: o.flags ?? 0,
    btfTokenFd: o.tokenFd ?? 0,
  });
  inFlight = logBuffer === undefined ? [attr, o.data] : [attr, o.data, logBuffer];
  try {
    const fd = n.bpf(BpfCmd.BTF_LOAD, attr);
    return { ok: true, fd, log: logBuffer ? decodeLog(logBuffer) : '' };
  } catch (e) {
    if (!isNativeError(e)) throw e;
    const logTrueSize = new DataView(attr.buffer).getUint32(LOG_TRUE_SIZE_OFFSET, true);
    return { ok: false, errno: e.errno, code: e.code, log: logBuffer ? decodeLog(logBuffer) : '', logTrueSize, cause: e };
  } finally {
    inFlight = [];
  }
}

/**
 * Loads raw BTF with `BPF_BTF_LOAD`. Throws {@link BtfLoadError} carrying the kernel's log.
 *
 * @example
 * ```ts
 * const { fd } = btfLoad({ data: rawBtf, logLevel: 1 });
 * ```
 */
export function btfLoad(o: BtfLoadOptions): BtfLoadResult {
  const r = tryBtfLoad(o);
  if (r.ok) return { fd: r.fd, log: r.log };
  const base = toSysError(r.cause, 'bpf', `BPF_BTF_LOAD (${o.data.byteLength} bytes)`, 'BPF_BTF_LOAD');
  const tail = r.log.split('\n').filter((l) => l.trim() !== '').pop();
  const message = tail === undefined ? base.message : `${base.message}; BTF log: ${tail}`;
  throw new BtfLoadError(message, r.errno, r.code, r.log, r.logTrueSize, { cause: r.cause });
}
