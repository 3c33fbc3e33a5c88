/**
 * The typed syscall layer: `bpf_attr` encoding, object ids and fds, info structs, pins, fdinfo,
 * UAPI enums, and errno -> typed errors. Everything above `src/sys` imports from here.
 */
export { native, loadAddon, NativeAddonError, NATIVE_FUNCTIONS, PollEvents, type NativeAddon, type NativeError, type PollHandle } from './native.js';
export { BpfCmd, bpfCmdName, bpfSyscall } from './bpf.js';
export { SysError, NotSupportedError, isNativeError, toSysError, errnoHint, isPermissionError } from './errors.js';
export { strerror } from './strerror.js';
export { AttrWriter, StructReader, cString } from './attr.js';
export { OwnedFd, FdClosedError, bpfFdKind, type BpfFdKind } from './fd.js';
export {
  type BpfObjectKind,
  ObjectNotFoundError,
  getNextId,
  objectIds,
  getFdById,
  progGetFdById,
  mapGetFdById,
  linkGetFdById,
  btfGetFdById,
} from './ids.js';
export {
  type FdLike,
  type ProgInfo,
  type ProgInfoOptions,
  type FuncInfoRecord,
  type LineInfoRecord,
  type MapInfo,
  type BtfInfo,
  type LinkInfo,
  type LinkDetails,
  type PerfEventLinkInfo,
  getProgInfo,
  getMapInfo,
  getBtfInfo,
  getLinkInfo,
} from './info.js';
export { readFdInfo } from './fdinfo.js';
export { mapFileReadOnly } from './file-map.js';
export { mapLookupElem } from './map-lookup.js';
export { MapElemBlock, ElemPointers } from './map-elem.js';
export { bpfFdHolders, type FdHolder } from './fd-holders.js';
export { taskFdQuery, TaskFdType, type TaskFdInfo } from './task-fd-query.js';
export { BPF_FS_MAGIC, DEFAULT_BPFFS, ObjGetFlags, BpffsError, isBpffs, bpffsMounts, ensureBpffs, objPin, objGet, pinnedPaths, type PinnedObject } from './pin.js';
export {
  ProgType,
  ProgTypeName,
  MapType,
  MapTypeName,
  AttachType,
  AttachTypeName,
  LinkType,
  LinkTypeName,
  PerfEventType,
  PerfEventTypeName,
  ProgInfoLayout,
  MapInfoLayout,
  BtfInfoLayout,
  LinkInfoLayout,
} from './uapi.js';
export { AttrFieldError, BPF_OBJ_NAME_LEN } from './attr-field.js';
export {
  ProgLoadFlag,
  VerifierLogLevel,
  PROG_LOAD_ATTR_SIZE,
  ProgLoadError,
  encodeProgLoadAttr,
  tryProgLoad,
  progLoad,
  type ProgLoadAttr,
  type ProgLoadOptions,
  type ProgLoadResult,
  type ProgLoadAttempt,
  type RecordBuffer,
} from './prog-load.js';
export {
  MapCreateFlag,
  MAP_CREATE_ATTR_SIZE,
  encodeMapCreateAttr,
  tryMapCreate,
  mapCreate,
  type MapCreateAttr,
  type MapCreateOptions,
  type MapCreateAttempt,
} from './map-create.js';
export {
  BTF_LOAD_ATTR_SIZE,
  BtfLoadError,
  encodeBtfLoadAttr,
  tryBtfLoad,
  btfLoad,
  type BtfLoadAttr,
  type BtfLoadOptions,
  type BtfLoadResult,
  type BtfLoadAttempt,
} from './btf-load.js';
export {
  FeatureProbeError,
  MiscFeature,
  probeBpfSyscall,
  probeProgType,
  probeMapType,
  probeHelper,
  probeMiscFeature,
} from './feature-probe.js';
export { HELPER_NAMES } from './feature-probe-helper-names.js';
export { isTrampolineRefusalErrno, trampolineRefusalReason, TRAMPOLINE_ATTACH_TYPES, TRAMPOLINE_FEATURE, TRAMPOLINE_PROBE_FUNC } from './feature-probe-trampoline.js';
export {
  KERNEL_CONFIG_OPTIONS,
  NOISY_HELPERS,
  probeSystemConfig,
  probeKernelFeatures,
  type KernelFeatureReport,
  type KernelFeatureProbeOptions,
  type SystemConfigReport,
  type TypeAvailability,
  type ProgTypeHelpers,
} from './feature-probe-report.js';
export { readKernelConfig, readSysctlInt, procfsMounted, runningKernelVersionCode, kernelVersionCode, type KernelConfigRead } from './feature-probe-system.js';
export {
  DEVICE_PROG_TYPES,
  DEVICE_MAP_TYPES,
  probeDeviceProgType,
  probeDeviceMapType,
  probeDeviceHelper,
  probeDeviceMiscFeature,
} from './feature-probe-device.js';
export { CpuListError, parseCpuList, onlineCpus, possibleCpus, ONLINE_CPUS_PATH, POSSIBLE_CPUS_PATH } from './cpus.js';
export { TRACEFS, TracefsError, tracefsMounts, mountTracefs, tracefsRoot } from './tracefs.js';
export { rtnetlinkDump, rtnetlinkRequest, netlinkAttribute, parseNetlinkAttributes, netlinkString, netlinkUint, NetlinkError, NetlinkFlag, RtmType, type NetlinkMessage } from './netlink.js';
export { progQuery, BPF_F_QUERY_EFFECTIVE, type ProgQueryOptions, type ProgQueryResult } from './prog-query.js';
export { progAttach, progDetach, CgroupAttachFlag } from './prog-attach.js';
