import { AttrWriter, StructReader, cString } from './attr.js';
import { BpfCmd, bpfSyscall } from './bpf.js';
import { OwnedFd } from './fd.js';
import { BtfInfoLayout as B, LinkInfoLayout as L, MapInfoLayout as M, ProgInfoLayout as P, LinkType, PerfEventType } from './uapi.js';

/** An fd argument: an {@link OwnedFd} or a raw fd number the caller owns. */
export type FdLike = number | OwnedFd;

function rawFd(fd: FdLike): number {
  return typeof fd === 'number' ? fd : fd.fd;
}

/** `bpf_attr.info` of `BPF_OBJ_GET_INFO_BY_FD`: `bpf_fd`, `info_len`, `info`. */
const INFO_ATTR = { bpfFd: 0, infoLen: 4, info: 8, SIZE: 16 } as const;

/**
 * `BPF_OBJ_GET_INFO_BY_FD` into `info` (an encoded info struct whose pointer fields, if any,
 * point at buffers `keep` holds). Returns the kernel's view: the bytes it filled.
 */
function objGetInfo(fd: FdLike, info: AttrWriter, what: string): StructReader {
  const attr = new AttrWriter(INFO_ATTR.SIZE)
    .u32(INFO_ATTR.bpfFd, rawFd(fd))
    .u32(INFO_ATTR.infoLen, info.bytes.byteLength)
    .pointer(INFO_ATTR.info, info.bytes);
  bpfSyscall(BpfCmd.OBJ_GET_INFO_BY_FD, attr.bytes, `BPF_OBJ_GET_INFO_BY_FD (${what})`, attr, info);
  return info.reader();
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function u32Array(bytes: Uint8Array, count: number): number[] {
  const r = new StructReader(bytes);
  return Array.from({ length: count }, (_, i) => r.u32(i * 4));
}

function u64Array(bytes: Uint8Array, count: number): bigint[] {
  const r = new StructReader(bytes);
  return Array.from({ length: count }, (_, i) => r.u64(i * 8));
}

/** One `struct bpf_func_info` record: where a function starts and its BTF `FUNC` type. */
export interface FuncInfoRecord {
  /** `insn_off`: first instruction of the function (in xlated instructions). */
  readonly insnOff: number;
  /** `type_id`: the `BTF_KIND_FUNC` in the program's BTF (`btf_id`). */
  readonly typeId: number;
}

/** One `struct bpf_line_info` record. */
export interface LineInfoRecord {
  /** `insn_off`. */
  readonly insnOff: number;
  /** `file_name_off`: string offset in the program's BTF. */
  readonly fileNameOff: number;
  /** `line_off`: string offset of the source line text. */
  readonly lineOff: number;
  /** `line_col >> 10`. */
  readonly line: number;
  /** `line_col & 0x3ff`. */
  readonly column: number;
}

/**
 * `struct bpf_prog_info` (Linux 4.13+, fields added up to 5.x/6.x read as 0 on older kernels).
 * Array fields are present only when requested in {@link ProgInfoOptions}.
 */
export interface ProgInfo {
  /** `type`: `enum bpf_prog_type`. */
  readonly type: number;
  /** `id`. */
  readonly id: number;
  /** `tag`: the 8-byte program hash, as 16 hex digits (bpftool's form). */
  readonly tag: string;
  /** `jited_prog_len`: bytes of JITed code (0 when not JITed or hidden). */
  readonly jitedProgLen: number;
  /** `xlated_prog_len`: bytes of translated BPF instructions. */
  readonly xlatedProgLen: number;
  /** `load_time`: CLOCK_BOOTTIME nanoseconds at load. */
  readonly loadTime: bigint;
  /** `created_by_uid`. */
  readonly createdByUid: number;
  /** `nr_map_ids`. */
  readonly nrMapIds: number;
  /** `name`: the kernel's name (at most 15 bytes: see the CLI for full names from BTF). */
  readonly name: string;
  /** `ifindex` of the device it is offloaded to, or 0. */
  readonly ifindex: number;
  /** `gpl_compatible` bit. */
  readonly gplCompatible: boolean;
  /** `netns_dev` (offloaded programs). */
  readonly netnsDev: bigint;
  /** `netns_ino` (offloaded programs). */
  readonly netnsIno: bigint;
  /** `nr_jited_ksyms`. */
  readonly nrJitedKsyms: number;
  /** `nr_jited_func_lens`. */
  readonly nrJitedFuncLens: number;
  /** `btf_id`: the program's BTF object, or 0. */
  readonly btfId: number;
  /** `func_info_rec_size`. */
  readonly funcInfoRecSize: number;
  /** `nr_func_info`. */
  readonly nrFuncInfo: number;
  /** `nr_line_info`. */
  readonly nrLineInfo: number;
  /** `nr_jited_line_info`. */
  readonly nrJitedLineInfo: number;
  /** `line_info_rec_size`. */
  readonly lineInfoRecSize: number;
  /** `jited_line_info_rec_size`. */
  readonly jitedLineInfoRecSize: number;
  /** `nr_prog_tags`. */
  readonly nrProgTags: number;
  /** `run_time_ns` (non-zero only while `kernel.bpf_stats_enabled`). */
  readonly runTimeNs: bigint;
  /** `run_cnt`. */
  readonly runCnt: bigint;
  /** `recursion_misses` (Linux 5.12+). */
  readonly recursionMisses: bigint;
  /** `verified_insns` (Linux 5.16+). */
  readonly verifiedInsns: number;
  /** `attach_btf_obj_id` (Linux 5.16+). */
  readonly attachBtfObjId: number;
  /** `attach_btf_id` (Linux 5.16+). */
  readonly attachBtfId: number;
  /** `map_ids`, when requested. */
  readonly mapIds?: readonly number[];
  /** `xlated_prog_insns`, when requested (8-byte `struct bpf_insn`s). */
  readonly xlatedInsns?: Uint8Array;
  /** `jited_prog_insns`, when requested (machine code). */
  readonly jitedInsns?: Uint8Array;
  /** `jited_ksyms`: kernel addresses of each JITed function, when requested. */
  readonly jitedKsyms?: readonly bigint[];
  /** `jited_func_lens`, when requested. */
  readonly jitedFuncLens?: readonly number[];
  /** `func_info`, when requested. */
  readonly funcInfo?: readonly FuncInfoRecord[];
  /** `line_info`, when requested. */
  readonly lineInfo?: readonly LineInfoRecord[];
  /** `jited_line_info`: one JITed address per line_info record, when requested. */
  readonly jitedLineInfo?: readonly bigint[];
  /** `prog_tags`: the tag of each subprogram (hex), when requested. */
  readonly progTags?: readonly string[];
}

/** Which array fields of `bpf_prog_info` {@link getProgInfo} fetches with a second call. */
export interface ProgInfoOptions {
  readonly mapIds?: boolean;
  readonly xlatedInsns?: boolean;
  readonly jitedInsns?: boolean;
  readonly jitedKsyms?: boolean;
  readonly jitedFuncLens?: boolean;
  readonly funcInfo?: boolean;
  readonly lineInfo?: boolean;
  readonly jitedLineInfo?: boolean;
  readonly progTags?: boolean;
}

function decodeProgInfo(r: StructReader): Omit<ProgInfo, 'mapIds' | 'xlatedInsns' | 'jitedInsns' | 'jitedKsyms' | 'jitedFuncLens' | 'funcInfo' | 'lineInfo' | 'jitedLineInfo' | 'progTags'> {
  return {
    type: r.u32(P.type),
    id: r.u32(P.id),
    tag: hex(r.raw(P.tag, 8)),
    jitedProgLen: r.u32(P.jited_prog_len),
    xlatedProgLen: r.u32(P.xlated_prog_len),
    loadTime: r.u64(P.load_time),
    createdByUid: r.u32(P.created_by_uid),
    nrMapIds: r.u32(P.nr_map_ids),
    name: r.inlineString(P.name, 16),
    ifindex: r.u32(P.ifindex),
    gplCompatible: r.bit(P['gpl_compatible:bit']),
    netnsDev: r.u64(P.netns_dev),
    netnsIno: r.u64(P.netns_ino),
    nrJitedKsyms: r.u32(P.nr_jited_ksyms),
    nrJitedFuncLens: r.u32(P.nr_jited_func_lens),
    btfId: r.u32(P.btf_id),
    funcInfoRecSize: r.u32(P.func_info_rec_size),
    nrFuncInfo: r.u32(P.nr_func_info),
    nrLineInfo: r.u32(P.nr_line_info),
    nrJitedLineInfo: r.u32(P.nr_jited_line_info),
    lineInfoRecSize: r.u32(P.line_info_rec_size),
    jitedLineInfoRecSize: r.u32(P.jited_line_info_rec_size),
    nrProgTags: r.u32(P.nr_prog_tags),
    runTimeNs: r.u64(P.run_time_ns),
    runCnt: r.u64(P.run_cnt),
    recursionMisses: r.u64(P.recursion_misses),
    verifiedInsns: r.u32(P.verified_insns),
    attachBtfObjId: r.u32(P.attach_btf_obj_id),
    attachBtfId: r.u32(P.attach_btf_id),
  };
}

/**
 * `BPF_OBJ_GET_INFO_BY_FD` on a program: `struct bpf_prog_info`. Array fields named in
 * `options` are fetched with a second call sized from the first (as libbpf's
 * `bpf_prog_get_info_by_fd` users do).
 *
 * @example
 * ```ts
 * using fd = progGetFdById(42);
 * const { name, tag, mapIds } = getProgInfo(fd, { mapIds: true });
 * ```
 */
export function getProgInfo(fd: FdLike, options: ProgInfoOptions = {}): ProgInfo {
  const first = decodeProgInfo(objGetInfo(fd, new AttrWriter(P.SIZE), 'prog'));
  const wanted = Object.values(options).some((v) => v === true);
  if (!wanted) return first;

  // Second pass: only the requested arrays get a buffer and a count; every other count is 0 so
  // the kernel copies nothing else.
  const info = new AttrWriter(P.SIZE);
  const buffers: Partial<Record<keyof ProgInfoOptions, Uint8Array>> = {};
  const request = (key: keyof ProgInfoOptions, countOff: number | null, count: number, size: number, ptrOff: number, recSizeOff?: number, recSize?: number): void => {
    if (options[key] !== true || count === 0) return;
    const buf = new Uint8Array(count * size);
    buffers[key] = buf;
    if (countOff !== null) info.u32(countOff, count);
    if (recSizeOff !== undefined && recSize !== undefined) info.u32(recSizeOff, recSize);
    info.pointer(ptrOff, buf);
  };
  request('mapIds', P.nr_map_ids, first.nrMapIds, 4, P.map_ids);
  request('xlatedInsns', P.xlated_prog_len, first.xlatedProgLen, 1, P.xlated_prog_insns);
  request('jitedInsns', P.jited_prog_len, first.jitedProgLen, 1, P.jited_prog_insns);
  request('jitedKsyms', P.nr_jited_ksyms, first.nrJitedKsyms, 8, P.jited_ksyms);
  request('jitedFuncLens', P.nr_jited_func_lens, first.nrJitedFuncLens, 4, P.jited_func_lens);
  request('funcInfo', P.nr_func_info, first.nrFuncInfo, first.funcInfoRecSize, P.func_info, P.func_info_rec_size, first.funcInfoRecSize);
  request('lineInfo', P.nr_line_info, first.nrLineInfo, first.lineInfoRecSize, P.line_info, P.line_info_rec_size, first.lineInfoRecSize);
  request('jitedLineInfo', P.nr_jited_line_info, first.nrJitedLineInfo, first.jitedLineInfoRecSize, P.jited_line_info, P.jited_line_info_rec_size, first.jitedLineInfoRecSize);
  request('progTags', P.nr_prog_tags, first.nrProgTags, 8, P.prog_tags);
  const r = objGetInfo(fd, info, 'prog');

  // The kernel writes back the counts it has; never read past what it filled. A requested
  // array the program does not have comes back empty.
  const result: { -readonly [K in keyof ProgInfo]?: ProgInfo[K] } = { ...first };
  if (options.mapIds === true) result.mapIds = [];
  if (options.xlatedInsns === true) result.xlatedInsns = new Uint8Array(0);
  if (options.jitedInsns === true) result.jitedInsns = new Uint8Array(0);
  if (options.jitedKsyms === true) result.jitedKsyms = [];
  if (options.jitedFuncLens === true) result.jitedFuncLens = [];
  if (options.funcInfo === true) result.funcInfo = [];
  if (options.lineInfo === true) result.lineInfo = [];
  if (options.jitedLineInfo === true) result.jitedLineInfo = [];
  if (options.progTags === true) result.progTags = [];
  if (buffers.mapIds) result.mapIds = u32Array(buffers.mapIds, Math.min(r.u32(P.nr_map_ids), first.nrMapIds));
  if (buffers.xlatedInsns) result.xlatedInsns = buffers.xlatedInsns.subarray(0, Math.min(r.u32(P.xlated_prog_len), first.xlatedProgLen));
  if (buffers.jitedInsns) result.jitedInsns = buffers.jitedInsns.subarray(0, Math.min(r.u32(P.jited_prog_len), first.jitedProgLen));
  if (buffers.jitedKsyms) result.jitedKsyms = u64Array(buffers.jitedKsyms, Math.min(r.u32(P.nr_jited_ksyms), first.nrJitedKsyms));
  if (buffers.jitedFuncLens) result.jitedFuncLens = u32Array(buffers.jitedFuncLens, Math.min(r.u32(P.nr_jited_func_lens), first.nrJitedFuncLens));
  if (buffers.funcInfo) {
    const fr = new StructReader(buffers.funcInfo);
    const size = first.funcInfoRecSize;
    result.funcInfo = Array.from({ length: Math.min(r.u32(P.nr_func_info), first.nrFuncInfo) }, (_, i) => ({ insnOff: fr.u32(i * size), typeId: fr.u32(i * size + 4) }));
  }
  if (buffers.lineInfo) {
    const lr = new StructReader(buffers.lineInfo);
    const size = first.lineInfoRecSize;
    result.lineInfo = Array.from({ length: Math.min(r.u32(P.nr_line_info), first.nrLineInfo) }, (_, i) => {
      const lineCol = lr.u32(i * size + 12);
      return { insnOff: lr.u32(i * size), fileNameOff: lr.u32(i * size + 4), lineOff: lr.u32(i * size + 8), line: lineCol >>> 10, column: lineCol & 0x3ff };
    });
  }
  if (buffers.jitedLineInfo) {
    const jr = new StructReader(buffers.jitedLineInfo);
    const size = first.jitedLineInfoRecSize;
    result.jitedLineInfo = Array.from({ length: Math.min(r.u32(P.nr_jited_line_info), first.nrJitedLineInfo) }, (_, i) => jr.u64(i * size));
  }
  if (buffers.progTags) {
    const tags = buffers.progTags;
    result.progTags = Array.from({ length: Math.min(r.u32(P.nr_prog_tags), first.nrProgTags) }, (_, i) => hex(tags.subarray(i * 8, i * 8 + 8)));
  }
  return result as ProgInfo;
}

/** `struct bpf_map_info` (Linux 4.13+; later fields read as 0 on older kernels). */
export interface MapInfo {
  /** `type`: `enum bpf_map_type`. */
  readonly type: number;
  /** `id`. */
  readonly id: number;
  /** `key_size`. */
  readonly keySize: number;
  /** `value_size`. */
  readonly valueSize: number;
  /** `max_entries`. */
  readonly maxEntries: number;
  /** `map_flags` (`BPF_F_*`). */
  readonly mapFlags: number;
  /** `name` (at most 15 bytes). */
  readonly name: string;
  /** `ifindex` of the offload device, or 0. */
  readonly ifindex: number;
  /** `btf_vmlinux_value_type_id` (struct_ops maps). */
  readonly btfVmlinuxValueTypeId: number;
  /** `netns_dev`. */
  readonly netnsDev: bigint;
  /** `netns_ino`. */
  readonly netnsIno: bigint;
  /** `btf_id`, or 0. */
  readonly btfId: number;
  /** `btf_key_type_id`. */
  readonly btfKeyTypeId: number;
  /** `btf_value_type_id`. */
  readonly btfValueTypeId: number;
  /** `btf_vmlinux_id` (Linux 6.6+). */
  readonly btfVmlinuxId: number;
  /** `map_extra` (bloom filter hashes, arena address; Linux 5.16+). */
  readonly mapExtra: bigint;
}

/**
 * `BPF_OBJ_GET_INFO_BY_FD` on a map: `struct bpf_map_info`.
 * @example
 * ```ts
 * using fd = mapGetFdById(7);
 * const { name, keySize, valueSize } = getMapInfo(fd);
 * ```
 */
export function getMapInfo(fd: FdLike): MapInfo {
  const r = objGetInfo(fd, new AttrWriter(M.SIZE), 'map');
  return {
    type: r.u32(M.type),
    id: r.u32(M.id),
    keySize: r.u32(M.key_size),
    valueSize: r.u32(M.value_size),
    maxEntries: r.u32(M.max_entries),
    mapFlags: r.u32(M.map_flags),
    name: r.inlineString(M.name, 16),
    ifindex: r.u32(M.ifindex),
    btfVmlinuxValueTypeId: r.u32(M.btf_vmlinux_value_type_id),
    netnsDev: r.u64(M.netns_dev),
    netnsIno: r.u64(M.netns_ino),
    btfId: r.u32(M.btf_id),
    btfKeyTypeId: r.u32(M.btf_key_type_id),
    btfValueTypeId: r.u32(M.btf_value_type_id),
    btfVmlinuxId: r.u32(M.btf_vmlinux_id),
    mapExtra: r.u64(M.map_extra),
  };
}

/** `struct bpf_btf_info` (Linux 5.0+; `name`/`kernel_btf` 5.11+). */
export interface BtfInfo {
  /** `id`. */
  readonly id: number;
  /** `btf_size`: bytes of raw BTF. */
  readonly btfSize: number;
  /** `name`: `vmlinux`, a module name, or `''` for BTF loaded by programs. */
  readonly name: string;
  /** `kernel_btf`: vmlinux or module BTF. */
  readonly kernelBtf: boolean;
  /** The raw BTF (`btf`), when requested: header, types and strings, as `BPF_BTF_LOAD` took it. */
  readonly data?: Uint8Array;
}

/**
 * `BPF_OBJ_GET_INFO_BY_FD` on a BTF object: `struct bpf_btf_info`, with its name and, when
 * `{ data: true }`, the raw BTF bytes (fetched by a second call sized from the first).
 *
 * @example
 * ```ts
 * using fd = btfGetFdById(1);
 * const { name, data } = getBtfInfo(fd, { data: true }); // 'vmlinux', raw BTF
 * ```
 */
export function getBtfInfo(fd: FdLike, options: { readonly data?: boolean } = {}): BtfInfo {
  const first = objGetInfo(fd, new AttrWriter(B.SIZE), 'btf');
  const nameLen = first.u32(B.name_len);
  const btfSize = first.u32(B.btf_size);
  const name = nameLen > 0 ? new Uint8Array(nameLen + 1) : null;
  const data = options.data === true && btfSize > 0 ? new Uint8Array(btfSize) : null;
  let r = first;
  if (name !== null || data !== null) {
    const info = new AttrWriter(B.SIZE);
    if (name !== null) info.u32(B.name_len, name.byteLength).pointer(B.name, name);
    if (data !== null) info.u32(B.btf_size, data.byteLength).pointer(B.btf, data);
    r = objGetInfo(fd, info, 'btf');
  }
  const result: { -readonly [K in keyof BtfInfo]?: BtfInfo[K] } = {
    id: r.u32(B.id),
    btfSize: r.u32(B.btf_size) || btfSize,
    name: name === null ? '' : cString(name),
    kernelBtf: r.u32(B.kernel_btf) !== 0,
  };
  if (data !== null) result.data = data.subarray(0, Math.min(r.u32(B.btf_size), data.byteLength));
  return result as BtfInfo;
}

/** The `perf_event` member of `bpf_link_info` (Linux 6.6+), by `enum bpf_perf_event_type`. */
export type PerfEventLinkInfo =
  | { readonly kind: 'uprobe' | 'uretprobe'; readonly fileName: string; readonly offset: number; readonly cookie: bigint; readonly refCtrOffset: bigint }
  | { readonly kind: 'kprobe' | 'kretprobe'; readonly funcName: string; readonly offset: number; readonly addr: bigint; readonly missed: bigint; readonly cookie: bigint }
  | { readonly kind: 'tracepoint'; readonly tpName: string; readonly cookie: bigint }
  | { readonly kind: 'event'; readonly config: bigint; readonly type: number; readonly cookie: bigint }
  | { readonly kind: 'unspec'; readonly perfEventType: number };

/** The per-type union of `struct bpf_link_info`, tagged by the link type's name. */
export type LinkDetails =
  | { readonly kind: 'raw_tracepoint'; readonly tpName: string; readonly cookie: bigint }
  | { readonly kind: 'tracing'; readonly attachType: number; readonly targetObjId: number; readonly targetBtfId: number; readonly cookie: bigint }
  | { readonly kind: 'cgroup'; readonly cgroupId: bigint; readonly attachType: number }
  | { readonly kind: 'iter'; readonly targetName: string; readonly mapId: number; readonly cgroupId: bigint; readonly order: number; readonly tid: number; readonly pid: number }
  | { readonly kind: 'netns'; readonly netnsIno: number; readonly attachType: number }
  | { readonly kind: 'xdp'; readonly ifindex: number }
  | { readonly kind: 'struct_ops'; readonly mapId: number }
  | { readonly kind: 'netfilter'; readonly pf: number; readonly hooknum: number; readonly priority: number; readonly flags: number }
  | { readonly kind: 'kprobe_multi'; readonly count: number; readonly flags: number; readonly missed: bigint; readonly addrs: readonly bigint[]; readonly cookies: readonly bigint[] }
  | { readonly kind: 'uprobe_multi'; readonly path: string; readonly count: number; readonly flags: number; readonly pid: number; readonly offsets: readonly bigint[]; readonly refCtrOffsets: readonly bigint[]; readonly cookies: readonly bigint[] }
  | { readonly kind: 'perf_event'; readonly event: PerfEventLinkInfo }
  | { readonly kind: 'tcx' | 'netkit' | 'sockmap'; readonly ifindex: number; readonly mapId: number; readonly attachType: number }
  | { readonly kind: 'other' };

/** `struct bpf_link_info` (Linux 5.8+). */
export interface LinkInfo {
  /** `type`: `enum bpf_link_type`. */
  readonly type: number;
  /** `id`. */
  readonly id: number;
  /** `prog_id`. */
  readonly progId: number;
  /** The type-specific part, decoded. */
  readonly details: LinkDetails;
}

/** Bytes for strings the kernel copies out (names, paths): PATH_MAX, as bpftool uses. */
const NAME_BUFFER = 4096;

/**
 * `BPF_OBJ_GET_INFO_BY_FD` on a link: `struct bpf_link_info`, including the strings and arrays
 * behind its pointer fields (tracepoint and iterator names, kprobe/uprobe-multi addresses,
 * perf_event names), fetched with a second call as bpftool does.
 *
 * @example
 * ```ts
 * using fd = linkGetFdById(3);
 * const info = getLinkInfo(fd);
 * if (info.details.kind === 'raw_tracepoint') console.log(info.details.tpName);
 * ```
 */
export function getLinkInfo(fd: FdLike): LinkInfo {
  const first = objGetInfo(fd, new AttrWriter(L.SIZE), 'link');
  const type = first.u32(L.type);
  const info = new AttrWriter(L.SIZE);
  let name: Uint8Array | null = null;
  const arrays: Uint8Array[] = [];
  const withName = (ptrOff: number, lenOff: number): void => {
    name = new Uint8Array(NAME_BUFFER);
    info.pointer(ptrOff, name).u32(lenOff, name.byteLength);
  };
  const withArray = (ptrOff: number, count: number): void => {
    const buf = new Uint8Array(count * 8);
    arrays.push(buf);
    info.pointer(ptrOff, buf);
  };
  let perfType = 0;
  switch (type) {
    case LinkType.RAW_TRACEPOINT:
      withName(L['raw_tracepoint.tp_name'], L['raw_tracepoint.tp_name_len']);
      break;
    case LinkType.ITER:
      withName(L['iter.target_name'], L['iter.target_name_len']);
      break;
    case LinkType.KPROBE_MULTI: {
      const count = first.u32(L['kprobe_multi.count']);
      if (count > 0) {
        info.u32(L['kprobe_multi.count'], count);
        withArray(L['kprobe_multi.addrs'], count);
        withArray(L['kprobe_multi.cookies'], count);
      }
      break;
    }
    case LinkType.UPROBE_MULTI: {
      const count = first.u32(L['uprobe_multi.count']);
      if (count > 0) {
        info.u32(L['uprobe_multi.count'], count);
        withArray(L['uprobe_multi.offsets'], count);
        withArray(L['uprobe_multi.ref_ctr_offsets'], count);
        withArray(L['uprobe_multi.cookies'], count);
      }
      withName(L['uprobe_multi.path'], L['uprobe_multi.path_size']);
      break;
    }
    case LinkType.PERF_EVENT:
      perfType = first.u32(L['perf_event.type']);
      if (perfType === PerfEventType.TRACEPOINT) withName(L['perf_event.tracepoint.tp_name'], L['perf_event.tracepoint.name_len']);
      else if (perfType === PerfEventType.KPROBE || perfType === PerfEventType.KRETPROBE) withName(L['perf_event.kprobe.func_name'], L['perf_event.kprobe.name_len']);
      else if (perfType === PerfEventType.UPROBE || perfType === PerfEventType.URETPROBE) withName(L['perf_event.uprobe.file_name'], L['perf_event.uprobe.name_len']);
      break;
    default:
      break;
  }
  const r = name !== null || arrays.length > 0 ? objGetInfo(fd, info, 'link') : first;
  const str = (): string => (name === null ? '' : cString(name));
  const u64s = (i: number, count: number): bigint[] => {
    const a = arrays[i];
    return a === undefined ? [] : u64Array(a, count);
  };
  return { type, id: r.u32(L.id), progId: r.u32(L.prog_id), details: decodeLinkDetails(type, r, str, u64s) };
}

function decodeLinkDetails(type: number, r: StructReader, str: () => string, u64s: (i: number, count: number) => bigint[]): LinkDetails {
  switch (type) {
    case LinkType.RAW_TRACEPOINT:
      return { kind: 'raw_tracepoint', tpName: str(), cookie: r.u64(L['raw_tracepoint.cookie']) };
    case LinkType.TRACING:
      return { kind: 'tracing', attachType: r.u32(L['tracing.attach_type']), targetObjId: r.u32(L['tracing.target_obj_id']), targetBtfId: r.u32(L['tracing.target_btf_id']), cookie: r.u64(L['tracing.cookie']) };
    case LinkType.CGROUP:
      return { kind: 'cgroup', cgroupId: r.u64(L['cgroup.cgroup_id']), attachType: r.u32(L['cgroup.attach_type']) };
    case LinkType.ITER:
      return {
        kind: 'iter',
        targetName: str(),
        mapId: r.u32(L['iter.map.map_id']),
        cgroupId: r.u64(L['iter.cgroup.cgroup_id']),
        order: r.u32(L['iter.cgroup.order']),
        tid: r.u32(L['iter.task.tid']),
        pid: r.u32(L['iter.task.pid']),
      };
    case LinkType.NETNS:
      return { kind: 'netns', netnsIno: r.u32(L['netns.netns_ino']), attachType: r.u32(L['netns.attach_type']) };
    case LinkType.XDP:
      return { kind: 'xdp', ifindex: r.u32(L['xdp.ifindex']) };
    case LinkType.STRUCT_OPS:
      return { kind: 'struct_ops', mapId: r.u32(L['struct_ops.map_id']) };
    case LinkType.NETFILTER:
      return { kind: 'netfilter', pf: r.u32(L['netfilter.pf']), hooknum: r.u32(L['netfilter.hooknum']), priority: r.i32(L['netfilter.priority']), flags: r.u32(L['netfilter.flags']) };
    case LinkType.KPROBE_MULTI: {
      const count = r.u32(L['kprobe_multi.count']);
      return { kind: 'kprobe_multi', count, flags: r.u32(L['kprobe_multi.flags']), missed: r.u64(L['kprobe_multi.missed']), addrs: u64s(0, count), cookies: u64s(1, count) };
    }
    case LinkType.UPROBE_MULTI: {
      const count = r.u32(L['uprobe_multi.count']);
      return {
        kind: 'uprobe_multi',
        path: str(),
        count,
        flags: r.u32(L['uprobe_multi.flags']),
        pid: r.u32(L['uprobe_multi.pid']),
        offsets: u64s(0, count),
        refCtrOffsets: u64s(1, count),
        cookies: u64s(2, count),
      };
    }
    case LinkType.PERF_EVENT:
      return { kind: 'perf_event', event: decodePerfEvent(r, str) };
    case LinkType.TCX:
      return { kind: 'tcx', ifindex: r.u32(L['tcx.ifindex']), mapId: 0, attachType: r.u32(L['tcx.attach_type']) };
    case LinkType.NETKIT:
      return { kind: 'netkit', ifindex: r.u32(L['netkit.ifindex']), mapId: 0, attachType: r.u32(L['netkit.attach_type']) };
    case LinkType.SOCKMAP:
      return { kind: 'sockmap', ifindex: 0, mapId: r.u32(L['sockmap.map_id']), attachType: r.u32(L['sockmap.attach_type']) };
    default:
      return { kind: 'other' };
  }
}

function decodePerfEvent(r: StructReader, str: () => string): PerfEventLinkInfo {
  const t = r.u32(L['perf_event.type']);
  switch (t) {
    case PerfEventType.UPROBE:
    case PerfEventType.URETPROBE:
      return {
        kind: t === PerfEventType.UPROBE ? 'uprobe' : 'uretprobe',
        fileName: str(),
        offset: r.u32(L['perf_event.uprobe.offset']),
        cookie: r.u64(L['perf_event.uprobe.cookie']),
        refCtrOffset: r.u64(L['perf_event.uprobe.ref_ctr_offset']),
      };
    case PerfEventType.KPROBE:
    case PerfEventType.KRETPROBE:
      return {
        kind: t === PerfEventType.KPROBE ? 'kprobe' : 'kretprobe',
        funcName: str(),
        offset: r.u32(L['perf_event.kprobe.offset']),
        addr: r.u64(L['perf_event.kprobe.addr']),
        missed: r.u64(L['perf_event.kprobe.missed']),
        cookie: r.u64(L['perf_event.kprobe.cookie']),
      };
    case PerfEventType.TRACEPOINT:
      return { kind: 'tracepoint', tpName: str(), cookie: r.u64(L['perf_event.tracepoint.cookie']) };
    case PerfEventType.EVENT:
      return { kind: 'event', config: r.u64(L['perf_event.event.config']), type: r.u32(L['perf_event.event.type']), cookie: r.u64(L['perf_event.event.cookie']) };
    default:
      return { kind: 'unspec', perfEventType: t };
  }
}
