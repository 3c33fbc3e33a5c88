/**
 * libbpf's `bpf_object_init_struct_ops()` and `bpf_object__collect_st_ops_relos()`: every
 * variable of a `.struct_ops` / `.struct_ops.link` section is a `BPF_MAP_TYPE_STRUCT_OPS` map,
 * and the relocations of the section say which program fills each function pointer.
 */
import type { BtfComposite } from '../btf/types.js';
import { SymbolType } from '../elf/constants.js';
import type { ElfSymbol } from '../elf/model.js';
import { MapType, ProgType } from '../sys/uapi.js';
import type { ObjectContext } from './collect-elf.js';
import { ObjectSpecError } from './errors.js';
import { MapSpec, PinType, type StructOpsProgram } from './map-spec.js';
import type { ProgramSpec } from './program-spec.js';

/** `BPF_F_LINK`: a `.struct_ops.link` map is attached through a link. */
const BPF_F_LINK = 1 << 13;
const POINTER_SIZE = 8;

/** struct_ops maps of every struct_ops section, in section then DATASEC order. */
export function collectStructOpsMaps(ctx: ObjectContext, programs: readonly ProgramSpec[]): MapSpec[] {
  const result: MapSpec[] = [];
  for (const section of ctx.structOpsSections) {
    const where = { fileName: ctx.fileName, section: section.name };
    const btf = ctx.btf;
    if (btf === undefined) throw new ObjectSpecError(`'${section.name}' needs the object's BTF, but there is no '.BTF' section`, where);
    const datasecId = btf.findByName(section.name, 'DATASEC')[0];
    if (datasecId === undefined) throw new ObjectSpecError(`no DATASEC '${section.name}' in the object's BTF`, where);
    const datasec = btf.typeById(datasecId);
    const autocreate = !section.name.startsWith('?');
    const isLink = section.name.endsWith('.link');
    const data = section.data();
    const symbols = new Map<string, ElfSymbol>();
    for (const s of ctx.elf.symbols) if (s.shndx === section.index && s.type === SymbolType.OBJECT) symbols.set(s.name, s);
    const maps: { spec: MapSpec; type: BtfComposite; programs: StructOpsProgram[] }[] = [];
    for (const vsi of datasec.kind === 'DATASEC' ? datasec.vars : []) {
      const v = btf.typeById(vsi.type);
      const typeId = btf.resolveType(v.kind === 'VAR' ? v.type : vsi.type);
      const type = typeId === 0 ? undefined : btf.typeById(typeId);
      const at = { ...where, symbol: v.name, offset: vsi.offset };
      if (type?.kind !== 'STRUCT') throw new ObjectSpecError(`struct_ops '${v.name}' is not a struct`, at);
      if (type.name === '') throw new ObjectSpecError(`struct_ops '${v.name}' has an anonymous type, which is not supported`, at);
      const offset = Number(symbols.get(v.name)?.value ?? vsi.offset);
      if (offset + type.size > data.length) {
        throw new ObjectSpecError(`struct_ops '${v.name}' (${type.size} bytes at ${offset}) is beyond the end of the section`, { ...at, offset });
      }
      const programsOfMap: StructOpsProgram[] = [];
      const spec = new MapSpec({
        name: v.name,
        source: 'struct_ops',
        sectionName: section.name,
        sectionIndex: section.index,
        sectionOffset: offset,
        type: MapType.STRUCT_OPS,
        keySize: 4,
        valueSize: type.size,
        maxEntries: 1,
        flags: isLink ? BPF_F_LINK : 0,
        numaNode: 0,
        pinning: PinType.NONE,
        mapExtra: 0n,
        btfKeyTypeId: 0,
        btfValueTypeId: typeId,
        btfVarId: v.id,
        innerMap: undefined,
        values: [],
        data: undefined,
        structOps: { typeName: type.name, typeId, data: new Uint8Array(data.subarray(offset, offset + type.size)), programs: programsOfMap },
        autocreate,
      });
      maps.push({ spec, type, programs: programsOfMap });
    }
    const rel = ctx.relocationSections.get(section.index);
    for (const r of rel === undefined ? [] : ctx.elf.relocations(rel)) {
      const offset = Number(r.offset);
      // parseElf has checked every relocation's symbol index against the symbol table.
      const sym = ctx.elf.symbols[r.symbol] as ElfSymbol;
      const at = { fileName: ctx.fileName, section: rel?.name, offset, symbol: sym.name };
      const map = maps.find((m) => offset >= m.spec.sectionOffset && offset < m.spec.sectionOffset + m.spec.valueSize);
      const bitOffset = map === undefined ? -1 : (offset - map.spec.sectionOffset) * 8;
      const member = map?.type.members.find((m) => m.bitOffset === bitOffset);
      const memberType = member === undefined ? undefined : btf.typeById(btf.resolveType(member.type));
      const pointeeId = memberType?.kind === 'PTR' ? btf.resolveType(memberType.type) : 0;
      const pointee = pointeeId === 0 ? undefined : btf.typeById(pointeeId);
      if (map === undefined || member === undefined || pointee?.kind !== 'FUNC_PROTO' || offset % POINTER_SIZE !== 0) {
        throw new ObjectSpecError(`relocation against '${sym.name}' is not a function pointer member of a struct_ops value`, at);
      }
      const prog = programs.find((p) => p.sectionIndex === sym.shndx && p.sectionOffset === Number(sym.value));
      if (prog === undefined) throw new ObjectSpecError(`struct_ops '${map.spec.name}': member '${member.name}' names '${sym.name}', which is not a program`, at);
      if (prog.type !== ProgType.STRUCT_OPS) {
        throw new ObjectSpecError(`struct_ops '${map.spec.name}': program '${prog.name}' is not a struct_ops program`, at);
      }
      map.programs.push({ member: member.name, program: prog.name });
    }
    result.push(...maps.map((m) => m.spec));
  }
  return result;
}
