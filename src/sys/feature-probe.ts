/**
 * Kernel feature probes: does this kernel (for this process's privileges) support a program
 * type, a map type, a helper in a program type, an ISA extension? Each question is answered by
 * loading or creating the smallest object that needs the feature, with libbpf's semantics
 * (`libbpf_probes.c`), and memoized for the life of the process.
 */
import { BpfTsError } from '../errors/index.js';
import { native } from './native.js';
import { BpfCmd } from './bpf.js';
import { isNativeError } from './errors.js';
import { tryProgLoad, ProgLoadFlag, type ProgLoadOptions, type ProgLoadAttempt } from './prog-load.js';
import { tryMapCreate, MapCreateFlag, type MapCreateOptions } from './map-create.js';
import { tryBtfLoad } from './btf-load.js';
import { AttachType, MapType, ProgType, MapTypeName, ProgTypeName } from './uapi.js';
import { BOUNDED_LOOP, RETURN_ZERO, V2_ISA, V3_ISA, V4_ISA, callHelper, largeProgram } from './feature-probe-insns.js';
import { runningKernelVersionCode } from './feature-probe-system.js';

/**
 * A probe that cannot give an answer: an unknown type id, or helpers of a program type that
 * only loads against an attach target (`tracing`, `ext`, `lsm`, `struct_ops`).
 */
export class FeatureProbeError extends BpfTsError {
  constructor(
    /** What was asked, e.g. `'helpers of program type tracing'`. */
    readonly feature: string,
    message: string,
  ) {
    super(message);
  }
}

/** `ENOTSUPP` (524): kernel-internal errno that `BPF_PROG_LOAD`/`BPF_MAP_CREATE` leak for struct_ops. */
const ENOTSUPP = 524;
const EINVAL = 22;
const EPERM = 1;

function closeFd(fd: number): void {
  native().close(fd);
}

/** Load settings a program type needs before the kernel accepts even `r0 = 0; exit`. */
interface ProgProbeSetup {
  readonly expectedAttachType?: number;
  readonly kernVersion?: number;
  readonly flags?: number;
  readonly attachBtfId?: number;
  /**
   * The type exists when the load fails exactly like this (it cannot succeed without a real
   * attach target), e.g. `EINVAL` plus "attach_btf_id 1 is not a function".
   */
  readonly expectFailure?: { readonly errno: number; readonly log?: string };
}

/** Program types whose helpers cannot be probed: they only load against a real attach target. */
const HELPERLESS_PROBE_TYPES: ReadonlySet<string> = new Set(['tracing', 'ext', 'lsm', 'struct_ops']);

function progProbeSetup(progType: number): ProgProbeSetup {
  const name = ProgTypeName.get(progType);
  switch (name) {
    case 'cgroup_sock_addr':
      return { expectedAttachType: AttachType.CGROUP_INET4_CONNECT };
    case 'cgroup_sockopt':
      return { expectedAttachType: AttachType.CGROUP_GETSOCKOPT };
    case 'sk_lookup':
      return { expectedAttachType: AttachType.SK_LOOKUP };
    case 'lirc_mode2':
      return { expectedAttachType: AttachType.LIRC_MODE2 };
    case 'netfilter':
      return { expectedAttachType: AttachType.NETFILTER };
    case 'kprobe':
      // Only kernels before 5.0 check it, but they reject a mismatch.
      return { kernVersion: runningKernelVersionCode() };
    case 'tracing':
      return {
        expectedAttachType: AttachType.TRACE_FENTRY,
        attachBtfId: 1,
        expectFailure: { errno: EINVAL, log: 'attach_btf_id 1 is not a function' },
      };
    case 'lsm':
      // libbpf asks with BPF_MODIFY_RETURN: the kernel checks the BTF id before the attach type.
      return {
        expectedAttachType: AttachType.MODIFY_RETURN,
        attachBtfId: 1,
        expectFailure: { errno: EINVAL, log: 'attach_btf_id 1 is not a function' },
      };
    case 'ext':
      return { attachBtfId: 1, expectFailure: { errno: EINVAL, log: 'Cannot replace kernel functions' } };
    case 'syscall':
      return { flags: ProgLoadFlag.SLEEPABLE };
    case 'struct_ops':
      // Without a struct_ops attach BTF id the kernel answers ENOTSUPP, but only if it knows the type.
      return { expectFailure: { errno: ENOTSUPP } };
    case undefined:
      throw new FeatureProbeError(`program type ${progType}`, `cannot probe program type ${progType}: bpf-ts does not know it (newest known: ${ProgTypeName.size - 1})`);
    default:
      return {};
  }
}

function loadForProbe(progType: number, insns: Uint8Array, setup: ProgProbeSetup, logBuffer?: Uint8Array): ProgLoadAttempt {
  const o: ProgLoadOptions = {
    progType,
    insns,
    license: 'GPL',
    ...(setup.expectedAttachType === undefined ? {} : { expectedAttachType: setup.expectedAttachType }),
    ...(setup.kernVersion === undefined ? {} : { kernVersion: setup.kernVersion }),
    ...(setup.flags === undefined ? {} : { flags: setup.flags }),
    ...(setup.attachBtfId === undefined ? {} : { attachBtfId: setup.attachBtfId }),
    ...(logBuffer === undefined ? {} : { logBuffer }),
  };
  const r = tryProgLoad(o);
  if (r.ok) closeFd(r.fd);
  return r;
}

const progTypeMemo = new Map<number, boolean>();
const mapTypeMemo = new Map<number, boolean>();
const helperMemo = new Map<number, Map<number, boolean>>();
const miscMemo = new Map<MiscFeature, boolean>();
let syscallMemo: boolean | undefined;

/** A reusable 4 KiB log buffer: the size libbpf's probes use. */
let probeLog: Uint8Array | undefined;
function probeLogBuffer(): Uint8Array {
  probeLog ??= new Uint8Array(4096);
  return probeLog;
}

/**
 * Whether the kernel has the `bpf()` system call at all (`ENOSYS` when `CONFIG_BPF_SYSCALL` is
 * off). Any other answer, even `EPERM`, means it exists.
 */
export function probeBpfSyscall(): boolean {
  if (syscallMemo !== undefined) return syscallMemo;
  try {
    const fd = native().bpf(BpfCmd.PROG_LOAD, new Uint8Array(8));
    closeFd(fd);
    syscallMemo = true;
  } catch (e) {
    if (!isNativeError(e)) throw e;
    syscallMemo = e.code !== 'ENOSYS';
  }
  return syscallMemo;
}

/**
 * Whether programs of `enum bpf_prog_type` value `progType` load (libbpf's
 * `libbpf_probe_bpf_prog_type`). `false` also when this process lacks the privilege to load it.
 *
 * @example
 * ```ts
 * if (!probeProgType(ProgType.NETFILTER)) console.log('no netfilter programs');
 * ```
 */
export function probeProgType(progType: number): boolean {
  const memo = progTypeMemo.get(progType);
  if (memo !== undefined) return memo;
  const setup = progProbeSetup(progType);
  const wantLog = setup.expectFailure?.log !== undefined;
  const r = loadForProbe(progType, RETURN_ZERO, setup, wantLog ? probeLogBuffer() : undefined);
  let result: boolean;
  if (setup.expectFailure !== undefined) {
    const { errno, log } = setup.expectFailure;
    result = !r.ok && r.errno === errno && (log === undefined || r.log.includes(log));
  } else {
    result = r.ok;
  }
  progTypeMemo.set(progType, result);
  return result;
}

/**
 * Raw BTF with `struct bpf_spin_lock { int val; }` and `struct val { int cnt; struct
 * bpf_spin_lock l; }` (type ids 1..3): local storage maps need a BTF value type.
 */
function localStorageBtf(): Uint8Array {
  const strings = '\0bpf_spin_lock\0val\0cnt\0l\0';
  const kindInt = 1, kindStruct = 4, intSigned = 1;
  const types = Uint32Array.from([
    // [1] int: 4 bytes, signed, 32 bits
    0, kindInt << 24, 4, (intSigned << 24) | 32,
    // [2] struct bpf_spin_lock { int val; }
    1, (kindStruct << 24) | 1, 4, 15, 1, 0,
    // [3] struct val { int cnt; struct bpf_spin_lock l; }
    15, (kindStruct << 24) | 2, 8, 19, 1, 0, 23, 2, 32,
  ]);
  const typeBytes = new Uint8Array(types.buffer);
  const strBytes = new TextEncoder().encode(strings);
  const hdrLen = 24;
  const out = new Uint8Array(hdrLen + typeBytes.byteLength + strBytes.byteLength);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true); // BTF_MAGIC
  v.setUint8(2, 1); // BTF_VERSION
  v.setUint32(4, hdrLen, true);
  v.setUint32(8, 0, true); // type_off
  v.setUint32(12, typeBytes.byteLength, true);
  v.setUint32(16, typeBytes.byteLength, true); // str_off
  v.setUint32(20, strBytes.byteLength, true);
  out.set(typeBytes, hdrLen);
  out.set(strBytes, hdrLen + typeBytes.byteLength);
  return out;
}

/** The attributes libbpf's `probe_map_create()` uses for each map type. */
function mapProbeSpec(mapType: number): { spec: MapCreateOptions; needsBtf: boolean; needsInner: boolean; expectErrno?: number } {
  const name = MapTypeName.get(mapType);
  const base = { type: mapType, keySize: 4, valueSize: 4, maxEntries: 1 };
  switch (name) {
    case 'stack_trace':
      return { spec: { ...base, valueSize: 8 }, needsBtf: false, needsInner: false };
    case 'lpm_trie':
      return { spec: { ...base, keySize: 8, valueSize: 8, flags: MapCreateFlag.NO_PREALLOC }, needsBtf: false, needsInner: false };
    case 'cgroup_storage':
    case 'percpu_cgroup_storage':
      // key: struct bpf_cgroup_storage_key { __u64 cgroup_inode_id; __u32 attach_type; } (16 bytes, padded)
      return { spec: { ...base, keySize: 16, valueSize: 8, maxEntries: 0 }, needsBtf: false, needsInner: false };
    case 'queue':
    case 'stack':
      return { spec: { ...base, keySize: 0 }, needsBtf: false, needsInner: false };
    case 'sk_storage':
    case 'inode_storage':
    case 'task_storage':
    case 'cgrp_storage':
      return {
        spec: { ...base, valueSize: 8, maxEntries: 0, flags: MapCreateFlag.NO_PREALLOC, btfKeyTypeId: 1, btfValueTypeId: 3 },
        needsBtf: true,
        needsInner: false,
      };
    case 'ringbuf':
    case 'user_ringbuf':
      return { spec: { ...base, keySize: 0, valueSize: 0, maxEntries: native().pageSize() }, needsBtf: false, needsInner: false };
    case 'struct_ops':
      // An invalid vmlinux value type id: a kernel that knows struct_ops maps answers ENOTSUPP.
      // No value_type_btf_obj_fd (libbpf sets -1): the kernel reads it only with
      // BPF_F_VTYPE_BTF_OBJ_FD, and kernels before 6.9 lack the field, so a non-zero value there
      // is E2BIG and 5.6-6.8 would be judged without struct_ops maps.
      return { spec: { ...base, btfVmlinuxValueTypeId: 1 }, needsBtf: false, needsInner: false, expectErrno: ENOTSUPP };
    case 'bloom_filter':
      return { spec: { ...base, keySize: 0 }, needsBtf: false, needsInner: false };
    case 'arena':
      return { spec: { ...base, keySize: 0, valueSize: 0, flags: MapCreateFlag.MMAPABLE }, needsBtf: false, needsInner: false };
    case 'array_of_maps':
    case 'hash_of_maps':
      return { spec: base, needsBtf: false, needsInner: true };
    case undefined:
    case 'unspec':
      throw new FeatureProbeError(`map type ${mapType}`, `cannot probe map type ${mapType}: bpf-ts does not know it (newest known: ${MapTypeName.size - 1})`);
    default:
      return { spec: base, needsBtf: false, needsInner: false };
  }
}

/**
 * Whether maps of `enum bpf_map_type` value `mapType` can be created (libbpf's
 * `libbpf_probe_bpf_map_type`).
 *
 * @example
 * ```ts
 * const hasArena = probeMapType(MapType.ARENA);
 * ```
 */
export function probeMapType(mapType: number): boolean {
  const memo = mapTypeMemo.get(mapType);
  if (memo !== undefined) return memo;
  const { spec, needsBtf, needsInner, expectErrno } = mapProbeSpec(mapType);
  const owned: number[] = [];
  let result = false;
  try {
    let full: MapCreateOptions = spec;
    if (needsBtf) {
      const btf = tryBtfLoad({ data: localStorageBtf() });
      if (!btf.ok) {
        mapTypeMemo.set(mapType, false);
        return false;
      }
      owned.push(btf.fd);
      full = { ...full, btfFd: btf.fd };
    }
    if (needsInner) {
      const inner = tryMapCreate({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 1 });
      if (!inner.ok) {
        mapTypeMemo.set(mapType, false);
        return false;
      }
      owned.push(inner.fd);
      full = { ...full, innerMapFd: inner.fd };
    }
    const r = tryMapCreate(full);
    if (r.ok) owned.push(r.fd);
    result = expectErrno === undefined ? r.ok : !r.ok && r.errno === expectErrno;
  } finally {
    for (const fd of owned) closeFd(fd);
  }
  mapTypeMemo.set(mapType, result);
  return result;
}

/**
 * Whether programs of type `progType` may call helper `helperId` (`enum bpf_func_id`), like
 * libbpf's `libbpf_probe_bpf_helper`: load `call helper; exit` and look for the verifier's
 * "invalid func", "unknown func" or "program of this type cannot use helper" complaints. Any
 * other outcome (even a rejection over the missing arguments) means the helper is there.
 * A load refused with `EPERM` answers `false`: the helper is not available to this process.
 *
 * Throws {@link FeatureProbeError} for `tracing`, `ext`, `lsm` and `struct_ops`, which only
 * load against a real attach target.
 *
 * @example
 * ```ts
 * probeHelper(ProgType.XDP, HELPER_NAMES.indexOf('bpf_redirect_map')); // true
 * ```
 */
export function probeHelper(progType: number, helperId: number): boolean {
  let perType = helperMemo.get(progType);
  const memo = perType?.get(helperId);
  if (memo !== undefined) return memo;
  const typeName = ProgTypeName.get(progType);
  if (typeName !== undefined && HELPERLESS_PROBE_TYPES.has(typeName)) {
    throw new FeatureProbeError(
      `helpers of program type ${typeName}`,
      `cannot probe helpers of program type ${typeName}: it only loads against a real attach target`,
    );
  }
  const setup = progProbeSetup(progType);
  const log = probeLogBuffer();
  const r = loadForProbe(progType, callHelper(helperId), setup, log);
  const result = r.ok || (r.errno !== EPERM && !/invalid func |unknown func |program of this type cannot use helper /.test(r.log));
  if (perType === undefined) {
    perType = new Map();
    helperMemo.set(progType, perType);
  }
  perType.set(helperId, result);
  return result;
}

/** Miscellaneous verifier features bpftool reports (its JSON names, without `have_`). */
export const MiscFeature = {
  /** 1M-instruction programs, more than `BPF_MAXINSNS` (5.3). */
  LARGE_INSN_LIMIT: 'large_insn_limit',
  /** Bounded loops (5.3). */
  BOUNDED_LOOPS: 'bounded_loops',
  /** `BPF_JLT`/`JLE`/`JSLT`/`JSLE` (4.14). */
  V2_ISA_EXTENSION: 'v2_isa_extension',
  /** `BPF_JMP32` (5.1). */
  V3_ISA_EXTENSION: 'v3_isa_extension',
  /** Sign-extending loads/moves, `gotol`, `bswap`, signed division (6.6). */
  V4_ISA_EXTENSION: 'v4_isa_extension',
} as const;
export type MiscFeature = (typeof MiscFeature)[keyof typeof MiscFeature];

/** The socket filter that needs each {@link MiscFeature} (bpftool's `probe_*` programs). */
export const MISC_FEATURE_PROGRAMS: Readonly<Record<MiscFeature, () => Uint8Array>> = {
  large_insn_limit: largeProgram,
  bounded_loops: () => BOUNDED_LOOP,
  v2_isa_extension: () => V2_ISA,
  v3_isa_extension: () => V3_ISA,
  v4_isa_extension: () => V4_ISA,
};

/**
 * Whether the verifier accepts a socket filter using the feature (bpftool's
 * `probe_misc_feature`).
 */
export function probeMiscFeature(feature: MiscFeature): boolean {
  const memo = miscMemo.get(feature);
  if (memo !== undefined) return memo;
  const r = loadForProbe(ProgType.SOCKET_FILTER, MISC_FEATURE_PROGRAMS[feature](), {});
  miscMemo.set(feature, r.ok);
  return r.ok;
}
