import { isNativeError } from '../sys/errors.js';
import { MapTypeName } from '../sys/uapi.js';
import { MapError } from '../maps/errors.js';
import { BpfMap } from '../maps/map.js';
import type { Btf } from '../btf/btf.js';
import { CliError, type CliContext } from './context.js';
import { cliSysError, parseMapHandle } from './object-handle.js';
import { JsonWriter } from './json-writer.js';
import { entryError, entryPlain, mapKvBtf, writeBtfEntry, writeEntryJson } from './map-entry-format.js';
import { errnoExit } from './map-args.js';

/**
 * Walks one map like bpftool's `map_dump()`: `GET_NEXT_KEY` from NULL, a lookup per key, each
 * entry printed (plain hex, BTF-formatted, or JSON); failed lookups print as errors and are not
 * counted. Returns the exit status (a failing walk other than the ENOENT end: its -errno).
 */
function dumpOne(map: BpfMap, w: JsonWriter | undefined, btfPlain: boolean, showHeader: boolean, ctx: CliContext, out: string[]): number {
  let btf: Btf | undefined;
  if (w !== undefined) {
    try {
      btf = mapKvBtf(map);
    } catch (e) {
      throw new CliError('failed to get btf', 255, { cause: e });
    }
    if (showHeader) {
      w.startObject().uintField('id', map.id);
      const typeName = MapTypeName.get(map.type);
      if (typeName !== undefined) w.stringField('type', typeName);
      else w.uintField('type', map.type);
      if (map.name !== '') w.stringField('name', map.name);
      w.name('flags').raw(String(map.flags));
      w.name('elements');
    }
    w.startArray();
  } else if (showHeader) {
    const typeName = MapTypeName.get(map.type) ?? `type ${map.type}`;
    out.push(`${map.id}: ${typeName}  ${map.name === '' ? '' : `name ${map.name}  `}flags 0x${map.flags.toString(16)}\n`);
  }
  let count = 0;
  let status = 0;
  let prev: Uint8Array | null = null;
  const value = new Uint8Array(map.valueBufferSize);
  for (;;) {
    let key: Uint8Array | undefined;
    try {
      key = map.nextKey(prev);
    } catch (e) {
      status = e instanceof MapError ? errnoExit(e.errno) : 255;
      break;
    }
    if (key === undefined) break;
    prev = key;
    let found: Uint8Array | undefined;
    let errno = 2;
    let code = 'ENOENT';
    try {
      found = map.lookup(key, value);
    } catch (e) {
      if (!(e instanceof MapError) || (e.errno === 0 && !isNativeError(e.cause))) throw e;
      errno = e.errno;
      code = e.code;
    }
    if (found === undefined) {
      // In plain BTF mode errors are text: bpftool printf()s them next to the writer's output.
      out.push(entryError(map, key, errno, code, ctx.json ? w : undefined));
      continue;
    }
    count++;
    if (w !== undefined) {
      if (btfPlain && btf !== undefined) writeBtfEntry(w, btf, map, key, found, true);
      else writeEntryJson(w, map, key, found, btf);
    } else {
      out.push(entryPlain(map, key, found));
    }
  }
  if (w !== undefined) {
    w.endArray();
    if (showHeader) w.endObject();
  } else {
    out.push(`Found ${count} element${count !== 1 ? 's' : ''}\n`);
  }
  return status;
}

/**
 * `bpf-ts map dump MAP`: every entry, as bpftool prints it. Plain output is hex (`key: 00 ..
 * value: ..`, `Found N elements`) unless every map matched has BTF, in which case it is
 * bpftool's BTF-formatted pretty JSON; `-j` gives hex arrays plus a `formatted` object.
 */
export async function mapDump(args: readonly string[], ctx: CliContext): Promise<number> {
  if (args.length !== 2) throw new CliError(`'map dump' takes one MAP (id N | pinned FILE | name NAME)`);
  const fds = parseMapHandle(args);
  if (fds.length === 0) return 255;
  const maps: BpfMap[] = [];
  try {
    for (const fd of fds) {
      try {
        maps.push(BpfMap.fromFd(fd));
      } catch (e) {
        throw cliSysError(e instanceof Error && e.cause !== undefined ? e.cause : e, "can't get map info");
      }
    }
    const btfPlain = !ctx.json && maps.every((m) => m.btfId !== 0);
    const w = ctx.json ? new JsonWriter(ctx.pretty) : btfPlain ? new JsonWriter(true) : undefined;
    const several = maps.length > 1;
    const out: string[] = [];
    let status = 0;
    if (w !== undefined && several) w.startArray();
    for (let i = 0; i < maps.length; i++) {
      status = dumpOne(maps[i] as BpfMap, w, btfPlain, several, ctx, out);
      if (w === undefined && i !== maps.length - 1) out.push('\n');
      if (status !== 0) break;
    }
    if (w !== undefined && several) w.endArray();
    ctx.out(out.join(''));
    if (w !== undefined) ctx.out(w.finish());
    return status;
  } finally {
    for (const m of maps) m.close();
    for (const fd of fds) fd.close();
  }
}
