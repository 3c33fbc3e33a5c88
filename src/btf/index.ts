/**
 * BTF (BPF Type Format): parsing of `.BTF` blobs (program, vmlinux, module/split BTF), the
 * `.BTF.ext` records, encoding back to bytes, sanitizing for older kernels, and bpftool's raw
 * dump format. Pure: bytes in, values out (kernel BTF loading lives in `kernel-btf.ts`).
 */
export * from './types.js';
export { BtfError, type BtfErrorContext } from './errors.js';
export { BTF_MAGIC, BTF_VERSION, BTF_HEADER_SIZE, parseBtfHeader, type BtfHeader } from './header.js';
export { BtfStrings } from './strings.js';
export { Btf, parseBtf, type BtfNameQuery, type ParseBtfOptions } from './btf.js';
export { dumpBtfRaw, dumpBtfRawChunks, dumpBtfRawJson, dumpBtfRawJsonChunks, type RawDumpOptions } from './raw-dump.js';
export { BtfStringTable } from './string-table.js';
export { encodeBtf, encodeBtfEdits, type BtfEdits, type EncodeBtfOptions } from './encode.js';
export { dumpBtfAsC, BtfDumpError, type CDumpOptions } from './c-dump.js';
export {
  BpfCoreReloKind,
  parseBtfExt,
  type BtfExt,
  type BtfExtSection,
  type BtfExtFuncInfo,
  type BtfExtLineInfo,
  type BtfExtCoreRelo,
} from './ext.js';
export { fixupDatasecEdits, fixupDatasecs, type DatasecElfInfo } from './datasec-fixup.js';
export { sanitizeBtf, ALL_BTF_FEATURES, ENUM64_PLACEHOLDER_NAME, type BtfFeatures } from './sanitize.js';
export { loadKernelBtf, loadModuleBtf, parseBtfFile, releaseBtfFile, SYSFS_BTF_DIR } from './kernel-btf.js';
export * from './core/index.js';
export * from './codec/index.js';
