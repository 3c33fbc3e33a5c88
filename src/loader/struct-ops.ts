/**
 * libbpf's `bpf_map__init_kern_struct_ops()` and `find_struct_ops_kern_types()`: a struct_ops
 * map's object value (`struct tcp_congestion_ops` as the object's BTF lays it out) translated to
 * the kernel's wrapper `struct bpf_struct_ops_<name>`, whose `data` member is the kernel's
 * `struct <name>`. Members are matched by name, so an object built against another kernel's
 * headers still works; function pointers are filled with program fds after the programs load.
 */
import type { Btf } from '../btf/btf.js';
import type { BtfComposite } from '../btf/types.js';
import { MapType } from '../sys/uapi.js';
import type { KernelFacts } from './kernel-facts.js';
import { LoadError } from './load-errors.js';
import type { MapSpec } from './map-spec.js';

/** A data member copied from the object's value into the kernel layout. */
export interface StructOpsDataMember {
  readonly name: string;
  /** Byte offset in the wrapper value. */
  readonly offset: number;
  readonly size: number;
}

/** A function-pointer member and the program whose fd goes there. */
export interface StructOpsProgramSlot {
  readonly member: string;
  readonly program: string;
  /** Index of the member in the kernel's `struct <name>`: the program's `expected_attach_type`. */
  readonly memberIndex: number;
  /** Byte offset of the pointer in the wrapper value. */
  readonly offset: number;
}

/** A struct_ops map's value in the kernel's layout, before program fds are written. */
export interface StructOpsLayout {
  readonly map: string;
  /** `struct <name>`'s id in kernel BTF: the programs' `attach_btf_id`. */
  readonly kernTypeId: number;
  /** `struct bpf_struct_ops_<name>`'s id: the map's `btf_vmlinux_value_type_id`. */
  readonly valueTypeId: number;
  /** The module whose BTF holds both types, `undefined` for vmlinux. */
  readonly module: string | undefined;
  /** Size of the wrapper: the map's `value_size`. */
  readonly valueSize: number;
  /** Byte offset of the wrapper's `data` member. */
  readonly dataOffset: number;
  /** The wrapper value with the data members copied and zeroed function pointers. */
  readonly value: Uint8Array;
  readonly dataMembers: readonly StructOpsDataMember[];
  readonly programs: readonly StructOpsProgramSlot[];
}

/** Kernel BTFs searched for struct_ops types: vmlinux, then modules (libbpf's `find_ksym_btf_id`). */
export interface StructOpsKernelBtf {
  readonly btf: Btf;
  readonly module: string | undefined;
}

/** vmlinux then every module with BTF, as the loader's facts expose them. */
export function structOpsKernelBtfs(facts: KernelFacts): StructOpsKernelBtf[] {
  const out: StructOpsKernelBtf[] = [{ btf: facts.vmlinuxBtf(), module: undefined }];
  for (const m of facts.moduleNames()) {
    const btf = facts.moduleBtf(m);
    if (btf !== undefined) out.push({ btf, module: m });
  }
  return out;
}

function struct(btf: Btf, id: number): BtfComposite | undefined {
  const t = btf.typeById(id);
  return t.kind === 'STRUCT' ? t : undefined;
}

/** Own (not base) STRUCT ids named `name` in `btf`. */
function ownStructs(k: StructOpsKernelBtf, name: string): number[] {
  return k.btf.findByName(name, 'STRUCT').filter((i) => k.module === undefined || i >= k.btf.firstId);
}

function isZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

/**
 * Lays out one struct_ops map's value for the kernel. Throws {@link LoadError} (with the map)
 * when the kernel has no `struct <name>` or wrapper, a member is a bitfield, a nonzero member is
 * missing in the kernel type, or a member's kind or size differs.
 *
 * @example
 * ```ts
 * const layout = structOpsLayout(spec.maps.find((m) => m.name === 'bpf_ts_cc')!, spec.btf!, structOpsKernelBtfs(kernelFacts()));
 * layout.programs; // [{ member: 'init', program: 'bpf_ts_init', memberIndex: 2, offset: ... }, ...]
 * ```
 */
export function structOpsLayout(spec: MapSpec, objBtf: Btf, kernel: readonly StructOpsKernelBtf[]): StructOpsLayout {
  const ops = spec.structOps;
  if (spec.type !== MapType.STRUCT_OPS || ops === undefined) throw new LoadError('not a struct_ops map', { map: spec.name });
  const at = { map: spec.name };
  const name = ops.typeName;
  let found: { k: StructOpsKernelBtf; kernTypeId: number } | undefined;
  for (const k of kernel) {
    const id = ownStructs(k, name)[0];
    if (id !== undefined) {
      found = { k, kernTypeId: id };
      break;
    }
  }
  if (found === undefined) throw new LoadError(`struct_ops type 'struct ${name}' not found in kernel BTF`, at);
  const { k, kernTypeId } = found;
  const kbtf = k.btf;
  const wrapperName = `bpf_struct_ops_${name}`;
  // The wrapper lives in the same BTF as the struct: the kernel registers both together.
  const valueTypeId = ownStructs(k, wrapperName)[0];
  const wrapper = valueTypeId === undefined ? undefined : struct(kbtf, valueTypeId);
  if (valueTypeId === undefined || wrapper === undefined) {
    throw new LoadError(`struct_ops value type 'struct ${wrapperName}' not found in kernel BTF: the kernel does not register '${name}' as struct_ops`, at);
  }
  const dataMember = wrapper.members.find((m) => m.name === 'data' && kbtf.resolveType(m.type) === kernTypeId);
  if (dataMember === undefined) throw new LoadError(`'struct ${wrapperName}' has no 'data' member of type 'struct ${name}'`, at);
  const dataOffset = dataMember.bitOffset / 8;
  const kernType = struct(kbtf, kernTypeId) as BtfComposite;
  const objType = struct(objBtf, ops.typeId);
  if (objType === undefined) throw new LoadError(`object BTF type ${ops.typeId} is not a struct`, at);
  const progByMember = new Map(ops.programs.map((p) => [p.member, p.program]));
  const value = new Uint8Array(wrapper.size);
  const dataMembers: StructOpsDataMember[] = [];
  const programs: StructOpsProgramSlot[] = [];
  for (const member of objType.members) {
    const offset = member.bitOffset / 8;
    const size = objBtf.sizeOf(member.type);
    const bytes = ops.data.subarray(offset, offset + size);
    if (member.bitfieldSize !== 0 || member.bitOffset % 8 !== 0) throw new LoadError(`member '${member.name}': bitfields are not supported in struct_ops`, at);
    const kernIndex = kernType.members.findIndex((m) => m.name === member.name);
    const kernMember = kernType.members[kernIndex];
    if (kernMember === undefined) {
      // libbpf: a member this kernel lacks is fine as long as the object leaves it unset.
      if (!isZero(bytes) || progByMember.has(member.name)) {
        throw new LoadError(`member '${member.name}' of 'struct ${name}' is set in the object but not in the kernel's type`, at);
      }
      continue;
    }
    if (kernMember.bitfieldSize !== 0 || kernMember.bitOffset % 8 !== 0) throw new LoadError(`member '${member.name}': the kernel's member is a bitfield, which is not supported`, at);
    const kernOffset = dataOffset + kernMember.bitOffset / 8;
    const objKind = objBtf.typeById(objBtf.resolveType(member.type)).kind;
    const kernKind = kbtf.typeById(kbtf.resolveType(kernMember.type)).kind;
    if (objKind !== kernKind) throw new LoadError(`member '${member.name}': kind ${objKind} in the object but ${kernKind} in the kernel`, at);
    if (objKind === 'PTR') {
      const program = progByMember.get(member.name);
      // A pointer without a program stays NULL (libbpf copies no pointer values).
      if (program !== undefined) programs.push({ member: member.name, program, memberIndex: kernIndex, offset: kernOffset });
      continue;
    }
    const kernSize = kbtf.sizeOf(kernMember.type);
    if (kernSize !== size) throw new LoadError(`member '${member.name}': size ${size} in the object but ${kernSize} in the kernel`, at);
    value.set(bytes, kernOffset);
    dataMembers.push({ name: member.name, offset: kernOffset, size });
  }
  return { map: spec.name, kernTypeId, valueTypeId, module: k.module, valueSize: wrapper.size, dataOffset, value, dataMembers, programs };
}

/** Where a struct_ops program attaches: the kernel struct, its module, the member index. */
export interface StructOpsAttach {
  readonly btfId: number;
  readonly module: string | undefined;
  readonly memberIndex: number;
}

/**
 * Each struct_ops program's `attach_btf_id` and `expected_attach_type` from the maps that use it.
 * A program shared by maps must fill the same member of the same type (libbpf refuses otherwise:
 * one load cannot serve two attach points).
 */
export function structOpsAttachments(layouts: readonly StructOpsLayout[]): Map<string, StructOpsAttach> {
  const out = new Map<string, StructOpsAttach>();
  for (const l of layouts) {
    for (const p of l.programs) {
      const want: StructOpsAttach = { btfId: l.kernTypeId, module: l.module, memberIndex: p.memberIndex };
      const had = out.get(p.program);
      if (had !== undefined && (had.btfId !== want.btfId || had.module !== want.module || had.memberIndex !== want.memberIndex)) {
        throw new LoadError(`struct_ops program '${p.program}' fills member '${p.member}' here but a different member or type in another struct_ops map`, { map: l.map });
      }
      out.set(p.program, want);
    }
  }
  return out;
}

/** The value to write with `BPF_MAP_UPDATE_ELEM` key 0: the layout with each program's fd. */
export function structOpsValue(layout: StructOpsLayout, progFd: (name: string) => number | undefined): Uint8Array {
  const value = new Uint8Array(layout.value);
  const v = new DataView(value.buffer);
  for (const p of layout.programs) {
    const fd = progFd(p.program);
    if (fd === undefined) throw new LoadError(`member '${p.member}': program '${p.program}' was not loaded`, { map: layout.map });
    // The kernel reads the program fd from the pointer slot (bpf_struct_ops_map_update_elem).
    v.setBigUint64(p.offset, BigInt(fd), true);
  }
  return value;
}
