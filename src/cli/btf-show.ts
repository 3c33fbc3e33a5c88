import type { OwnedFd } from '../sys/fd.js';
import { getBtfInfo, getMapInfo, getProgInfo, type BtfInfo } from '../sys/info.js';
import { BpftoolMultiMap } from './bpftool-multimap.js';
import { CliError, type CliContext } from './context.js';
import { JsonWriter } from './json-writer.js';
import { cliSysError, forEachObject, parseBtfHandle } from './object-handle.js';
import { formatPidsPlain, pidsTable, writePidsJson, type PidsTable } from './show-pids.js';

/** BTF id -> ids of the programs (or maps) using it, in bpftool's order. */
type UsersTable = BpftoolMultiMap<number>;

/** bpftool's `build_btf_type_table`: walks every program (or map) and records its `btf_id`. */
function buildUsersTable(kind: 'prog' | 'map'): UsersTable {
  const table: UsersTable = new BpftoolMultiMap();
  forEachObject(kind, `can't get next ${kind}`, (id) => `can't get ${kind} by id (${id})`, (fd, id) => {
    let btfId: number;
    try {
      btfId = kind === 'prog' ? getProgInfo(fd).btfId : getMapInfo(fd).btfId;
    } catch (e) {
      throw cliSysError(e, `can't get ${kind} info`);
    }
    if (btfId !== 0) table.append(btfId, id);
  });
  return table;
}

interface BtfTables {
  readonly progs: UsersTable;
  readonly maps: UsersTable;
  readonly pids: PidsTable;
}

/** One BTF object in bpftool's plain layout (`show_btf_plain`). */
export function formatBtfPlain(info: BtfInfo, tables: BtfTables): string {
  let s = `${info.id}: `;
  if (info.kernelBtf) s += `name [${info.name}]  `;
  else if (info.name !== '') s += `name ${info.name}  `;
  else s += 'name <anon>  ';
  s += `size ${info.btfSize}B`;
  const progs = tables.progs.get(info.id);
  if (progs.length > 0) s += `  prog_ids ${progs.join(',')}`;
  const maps = tables.maps.get(info.id);
  if (maps.length > 0) s += `  map_ids ${maps.join(',')}`;
  return s + formatPidsPlain(tables.pids, info.id) + '\n';
}

/** One BTF object as bpftool's JSON object (`show_btf_json`). */
export function writeBtfJson(w: JsonWriter, info: BtfInfo, tables: BtfTables): void {
  w.startObject().uintField('id', info.id).uintField('size', info.btfSize);
  w.uintArrayField('prog_ids', tables.progs.get(info.id));
  w.uintArrayField('map_ids', tables.maps.get(info.id));
  writePidsJson(w, tables.pids, info.id);
  w.boolField('kernel', info.kernelBtf);
  if (info.name !== '') w.stringField('name', info.name);
  w.endObject();
}

/**
 * `bpf-ts btf show|list [id BTF_ID]`: bpftool's `btf show` (`pids` from /proc).
 *
 * @example
 * ```ts
 * await btfShow(['id', '1'], ctx); // 1: name [vmlinux]  size 6012345B
 * ```
 */
export async function btfShow(args: readonly string[], ctx: CliContext): Promise<number> {
  // Before the handle is opened: bpftool lists itself among the holders of the BTF object it was
  // asked about; we leave our own fd out.
  const pids = pidsTable('btf');
  let single: OwnedFd | undefined;
  if (args.length === 2) single = parseBtfHandle(args);
  else if (args.length !== 0) throw new CliError(`what is '${args[0] ?? ''}'?`);
  const w = ctx.json ? new JsonWriter(ctx.pretty) : undefined;
  let text = '';
  try {
    const tables: BtfTables = { progs: buildUsersTable('prog'), maps: buildUsersTable('map'), pids };
    const show = (fd: OwnedFd): void => {
      let info: BtfInfo;
      try {
        info = getBtfInfo(fd);
      } catch (e) {
        throw cliSysError(e, "can't get BTF object info");
      }
      if (w !== undefined) writeBtfJson(w, info, tables);
      else text += formatBtfPlain(info, tables);
    };
    if (single !== undefined) {
      show(single);
    } else {
      w?.startArray();
      forEachObject('btf', "can't get next BTF object", (id) => `can't get BTF object by id (${id})`, (fd) => {
        show(fd);
      });
      w?.endArray();
    }
  } finally {
    single?.close();
  }
  ctx.out(w !== undefined ? w.finish() : text);
  return 0;
}
