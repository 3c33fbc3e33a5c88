import type { OwnedFd } from '../sys/fd.js';
import { readFdInfo } from '../sys/fdinfo.js';
import { getMapInfo, type MapInfo } from '../sys/info.js';
import { MapType, MapTypeName, ProgTypeName } from '../sys/uapi.js';
import { CliError, type CliContext } from './context.js';
import { JsonWriter } from './json-writer.js';
import { cliSysError, forEachObject, parseMapHandle } from './object-handle.js';
import type { BpftoolMultiMap } from './bpftool-multimap.js';
import { formatPidsPlain, pidsTable, writePidsJson, type PidsTable } from './show-pids.js';
import { pinnedTable } from './show-pinned.js';

interface MapRecord {
  readonly info: MapInfo;
  /** `/proc/self/fdinfo` fields: `memlock`, `frozen`, `owner_prog_type`, `owner_jited`. */
  readonly fdinfo: ReadonlyMap<string, string>;
}

type PinnedTable = BpftoolMultiMap<string> | undefined;

/** C's `atoi`: leading integer, else 0. */
function atoi(s: string | undefined): number {
  const n = Number.parseInt(s ?? '', 10);
  return Number.isNaN(n) ? 0 : n;
}

/** One map in bpftool's plain layout (`show_map_close_plain`). */
export function formatMapPlain(r: MapRecord, pinned: PinnedTable, pids: PidsTable = new Map()): string {
  const { info, fdinfo } = r;
  const type = MapTypeName.get(info.type);
  let s = `${info.id}: ${type !== undefined ? `${type}  ` : `type ${info.type}  `}`;
  if (info.name !== '') s += `name ${info.name}  `;
  s += `flags 0x${info.mapFlags.toString(16)}`;
  if (info.ifindex !== 0) s += `  offloaded_to ifindex ${info.ifindex} ns_dev ${info.netnsDev} ns_ino ${info.netnsIno}`;
  s += `\n\tkey ${info.keySize}B  value ${info.valueSize}B  max_entries ${info.maxEntries}`;
  const memlock = fdinfo.get('memlock');
  if (memlock !== undefined) s += `  memlock ${memlock}B`;
  if (info.type === MapType.PROG_ARRAY) {
    const ownerType = fdinfo.get('owner_prog_type');
    const ownerJited = fdinfo.get('owner_jited');
    if (ownerType !== undefined || ownerJited !== undefined) s += '\n\t';
    if (ownerType !== undefined) {
      const t = atoi(ownerType);
      s += `owner_prog_type ${ProgTypeName.get(t) ?? String(t)}  `;
    }
    if (ownerJited !== undefined) s += `owner${atoi(ownerJited) !== 0 ? '' : ' not'} jited`;
  }
  for (const path of pinned?.get(info.id) ?? []) s += `\n\tpinned ${path}`;
  const frozen = atoi(fdinfo.get('frozen'));
  if (info.btfId !== 0 || frozen !== 0) s += '\n\t';
  if (info.btfId !== 0) s += `btf_id ${info.btfId}`;
  if (frozen !== 0) s += `${info.btfId !== 0 ? '  ' : ''}frozen`;
  return s + formatPidsPlain(pids, info.id) + '\n';
}

/** One map as bpftool's JSON object (`show_map_close_json`). */
export function writeMapJson(w: JsonWriter, r: MapRecord, pinned: PinnedTable, pids: PidsTable = new Map()): void {
  const { info, fdinfo } = r;
  w.startObject().uintField('id', info.id);
  const type = MapTypeName.get(info.type);
  if (type !== undefined) w.stringField('type', type);
  else w.uintField('type', info.type);
  if (info.name !== '') w.stringField('name', info.name);
  // bpftool prints map_flags with "%d".
  w.name('flags').raw(String(info.mapFlags | 0));
  if (info.ifindex !== 0) {
    w.name('dev').startObject().uintField('ifindex', info.ifindex).uintField('ns_dev', info.netnsDev).uintField('ns_inode', info.netnsIno).endObject();
  }
  w.uintField('bytes_key', info.keySize).uintField('bytes_value', info.valueSize).uintField('max_entries', info.maxEntries);
  const memlock = fdinfo.get('memlock');
  if (memlock !== undefined) w.uintField('bytes_memlock', atoi(memlock));
  if (info.type === MapType.PROG_ARRAY) {
    const ownerType = fdinfo.get('owner_prog_type');
    const ownerJited = fdinfo.get('owner_jited');
    if (ownerType !== undefined) {
      const t = atoi(ownerType);
      const name = ProgTypeName.get(t);
      if (name !== undefined) w.stringField('owner_prog_type', name);
      else w.uintField('owner_prog_type', t);
    }
    if (ownerJited !== undefined) w.boolField('owner_jited', atoi(ownerJited) !== 0);
  }
  w.uintField('frozen', atoi(fdinfo.get('frozen')));
  if (info.btfId !== 0) w.uintField('btf_id', info.btfId);
  if (pinned !== undefined && !pinned.empty) w.stringArrayField('pinned', pinned.get(info.id));
  writePidsJson(w, pids, info.id);
  w.endObject();
}

function collect(fd: OwnedFd): MapRecord {
  let info: MapInfo;
  try {
    info = getMapInfo(fd);
  } catch (e) {
    throw cliSysError(e, "can't get map info");
  }
  return { info, fdinfo: readFdInfo(fd) };
}

/**
 * `bpf-ts map show|list [MAP]`: bpftool's `map show`, same plain layout and JSON fields (`pids`
 * from /proc rather than bpftool's BPF iterator).
 *
 * @example
 * ```ts
 * await mapShow(['name', 'counters'], ctx);
 * ```
 */
export async function mapShow(args: readonly string[], ctx: CliContext): Promise<number> {
  if (args.length !== 0 && args.length !== 2) throw new CliError(`what is '${args[0] ?? ''}'?`);
  const pinned = pinnedTable(ctx.bpffs, 'map');
  const pids = pidsTable('map');
  const w = ctx.json ? new JsonWriter(ctx.pretty) : undefined;
  let text = '';
  const show = (fd: OwnedFd): void => {
    const r = collect(fd);
    if (w !== undefined) writeMapJson(w, r, pinned, pids);
    else text += formatMapPlain(r, pinned, pids);
  };
  if (args.length === 2) {
    const fds = parseMapHandle(args);
    try {
      if (fds.length === 0) {
        // bpftool: no match is a silent failure; its JSON writer still ends with a newline.
        if (w !== undefined) ctx.out(w.finish());
        return 255;
      }
      if (w !== undefined && fds.length > 1) w.startArray();
      for (const fd of fds) show(fd);
      if (w !== undefined && fds.length > 1) w.endArray();
    } finally {
      for (const fd of fds) fd.close();
    }
  } else {
    w?.startArray();
    forEachObject('map', "can't get next map", (id) => `can't get map by id (${id})`, (fd) => {
      show(fd);
    });
    w?.endArray();
  }
  ctx.out(w !== undefined ? w.finish() : text);
  return 0;
}
