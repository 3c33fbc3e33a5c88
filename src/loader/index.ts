/**
 * The loader. Spec half (pure): `parseObjectSpec` turns a BPF ELF object into an editable
 * `ObjectSpec` (programs typed by libbpf's SEC() table, maps, global variables, externs,
 * symbolic relocations).
 */
export { parseObjectSpec, ObjectSpec, type ParseObjectSpecOptions, type ObjectSpecInit } from './object-spec.js';
export { loadObjectSpec } from './load-object-spec.js';
export type { StructOpsMap } from './load-object.js';
export { structOpsLayout, structOpsKernelBtfs, type StructOpsLayout, type StructOpsKernelBtf, type StructOpsDataMember, type StructOpsProgramSlot } from './struct-ops.js';
export { ObjectSpecError, type ObjectSpecErrorContext } from './errors.js';
export { ProgramSpec, BPF_INSN_SIZE, type ProgramSpecInit, type FuncInfoRecord, type LineInfoRecord } from './program-spec.js';
export {
  MapSpec,
  PinType,
  type MapSpecInit,
  type MapSlot,
  type MapDefinitionSource,
  type StructOpsSpec,
  type StructOpsProgram,
} from './map-spec.js';
export {
  DataSection,
  VariableSpec,
  DataSectionKind,
  type DataSectionInit,
  type VariableSpecInit,
  type VariableValueKind,
} from './data-section.js';
export type { ExternSpec, KconfigLayout, KconfigType } from './collect-externs.js';
export {
  CoreRelocationKind,
  type Relocation,
  type RelocationBase,
  type MapRelocation,
  type DataRelocation,
  type CallRelocation,
  type FuncAddrRelocation,
  type KfuncRelocation,
  type KsymRelocation,
  type KconfigRelocation,
  type CoreRelocation,
} from './relocations.js';
export {
  SECTION_DEFS,
  SecFlag,
  AutoAttach,
  matchSection,
  findSectionDef,
  sectionDefMatches,
  type SectionDef,
  type SectionMatch,
} from './section-defs.js';
export { internalMapName } from './collect-globals.js';
export { loadObject, loadObjectSync, BpfObject, type LoadObjectOptions } from './bpf-object.js';
export { attachObject, ObjectLinks } from './attach-object.js';
export { BpfProgram, type BpfProgramAttributes, type TestRunOptions, type TestRunResult } from './program.js';
export { LoadError, MapPinMismatchError, type LoadErrorContext } from './load-errors.js';
export { kernelFacts, freshKernelFacts, parseKallsyms, type FreshKernelFacts, type KernelFacts } from './kernel-facts.js';
export { resolveKconfig, parseCInteger, type KconfigFacts } from './kconfig.js';
export { appendSubprograms, relocateInstructions, type LinkedProgram, type RelocationTargets } from './relocate-program.js';
export { minCoreBtf } from './min-core-btf.js';
