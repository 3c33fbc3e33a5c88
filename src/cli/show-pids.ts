import { bpfFdHolders, type FdHolder } from '../sys/fd-holders.js';
import type { BpfObjectKind } from '../sys/ids.js';
import type { JsonWriter } from './json-writer.js';

/** Object id -> processes holding an fd of it (bpftool's `refs_table`). */
export type PidsTable = ReadonlyMap<number, readonly FdHolder[]>;

/**
 * bpftool's `build_obj_refs_table`, from /proc (see `bpfFdHolders`). Built before any object is
 * opened, so this process's own show fds never appear. Unreadable /proc gives an empty table.
 */
export function pidsTable(kind: BpfObjectKind): PidsTable {
  try {
    return bpfFdHolders(kind);
  } catch {
    return new Map();
  }
}

/**
 * bpftool's `emit_obj_refs_plain(table, id, "\n\tpids ")`: `\n\tpids comm(pid), ...`, preceded
 * by `\n\tbpf_cookie N` for perf_event links; `''` when no process holds the object.
 */
export function formatPidsPlain(table: PidsTable, id: number, cookie?: bigint): string {
  const holders = table.get(id);
  if (holders === undefined || holders.length === 0) return '';
  const prefix = cookie !== undefined ? `\n\tbpf_cookie ${cookie}` : '';
  return `${prefix}\n\tpids ${holders.map((h) => `${h.comm}(${h.pid})`).join(', ')}`;
}

/** bpftool's `emit_obj_refs_json`: `"pids": [{"pid": N, "comm": "..."}]` when held. */
export function writePidsJson(w: JsonWriter, table: PidsTable, id: number, cookie?: bigint): void {
  const holders = table.get(id);
  if (holders === undefined || holders.length === 0) return;
  if (cookie !== undefined) w.uintField('bpf_cookie', cookie);
  w.name('pids').startArray();
  for (const h of holders) w.startObject().uintField('pid', h.pid).stringField('comm', h.comm).endObject();
  w.endArray();
}
