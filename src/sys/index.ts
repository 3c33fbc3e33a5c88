/**
 * The typed syscall layer: `bpf_attr` encoding, object ids and fds, info structs, pins, fdinfo,
 * UAPI enums, and errno -> typed errors. Everything above `src/sys` imports from here.
 */
export { native, PollEvents, type NativeAddon, type NativeError, type PollHandle } from './native.js';
export { BpfCmd, bpfCmdName, bpfSyscall } from './bpf.js';
export { SysError, NotSupportedError, isNativeError, toSysError } from './errors.js';
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
export { BPF_FS_MAGIC, DEFAULT_BPFFS, ObjGetFlags, BpffsError, isBpffs, bpffsMounts, ensureBpffs, objPin, objGet, pinnedPaths } from './pin.js';
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
