import type { OwnedFd } from '../sys/fd.js';
import { readFdInfo } from '../sys/fdinfo.js';
import { getProgInfo, type ProgInfo } from '../sys/info.js';
import { ProgTypeName } from '../sys/uapi.js';
import { bootTimeToEpochSeconds, formatLocalIso, realtimeMinusBoottimeNs } from './boot-time.js';
import { CliError, type CliContext } from './context.js';
import type { JsonWriter } from './json-writer.js';
import { cliSysError, forEachObject, parseProgHandle } from './object-handle.js';
import type { ProgMetadataEntry } from './prog-metadata.js';
import { clearProgNameCache, progFullName } from './prog-name.js';
import type { BpftoolMultiMap } from './bpftool-multimap.js';
import { formatPidsPlain, pidsTable, writePidsJson, type PidsTable } from './show-pids.js';

// The JSON writer, the metadata reader (with its BTF value dumper) and the -f table are
// imported only when the output needs them: module loading was most of a plain
// `prog show`'s own time (bench scenario 5).
type MetadataModule = typeof import('./prog-metadata.js');

interface ProgShowState {
  readonly pinned: BpftoolMultiMap<string> | undefined;
  readonly pids: PidsTable;
  readonly bootOffsetNs: bigint;
  /** Loaded when some program has maps (only those can have metadata). */
  readonly metadata: MetadataModule | undefined;
}

interface ProgRecord {
  readonly info: ProgInfo;
  readonly name: string;
  readonly memlock: string | undefined;
  readonly mapIds: readonly number[];
  metadata: readonly ProgMetadataEntry[];
}

function collect(fd: OwnedFd): ProgRecord {
  const info = getProgInfo(fd, { mapIds: true });
  return {
    info,
    name: info.name === '' ? '' : progFullName(info, fd),
    memlock: readFdInfo(fd).get('memlock'),
    mapIds: info.mapIds ?? [],
    metadata: [],
  };
}

function typeName(type: number): string | undefined {
  return ProgTypeName.get(type);
}

/** One program in bpftool's plain layout (`print_prog_plain`). */
export function formatProgPlain(r: ProgRecord, state: ProgShowState): string {
  const { info } = r;
  const type = typeName(info.type);
  let s = `${info.id}: ${type !== undefined ? `${type}  ` : `type ${info.type}  `}`;
  if (r.name !== '') s += `name ${r.name}  `;
  s += `tag ${info.tag}`;
  if (info.ifindex !== 0) s += `  offloaded_to ifindex ${info.ifindex} ns_dev ${info.netnsDev} ns_ino ${info.netnsIno}`;
  s += info.gplCompatible ? '  gpl' : '';
  if (info.runTimeNs !== 0n) s += ` run_time_ns ${info.runTimeNs} run_cnt ${info.runCnt}`;
  if (info.recursionMisses !== 0n) s += ` recursion_misses ${info.recursionMisses}`;
  s += '\n';
  if (info.loadTime !== 0n) {
    s += `\tloaded_at ${formatLocalIso(bootTimeToEpochSeconds(info.loadTime, state.bootOffsetNs))}  uid ${info.createdByUid}\n`;
  }
  s += `\txlated ${info.xlatedProgLen}B`;
  s += info.jitedProgLen !== 0 ? `  jited ${info.jitedProgLen}B` : '  not jited';
  if (r.memlock !== undefined) s += `  memlock ${r.memlock}B`;
  if (r.mapIds.length > 0) s += `  map_ids ${r.mapIds.join(',')}`;
  for (const path of state.pinned?.get(info.id) ?? []) s += `\n\tpinned ${path}`;
  if (info.btfId !== 0) s += `\n\tbtf_id ${info.btfId}`;
  s += formatPidsPlain(state.pids, info.id);
  return s + '\n' + (state.metadata?.formatMetadataPlain(r.metadata) ?? '');
}

/** One program as bpftool's JSON object (`print_prog_json`). */
export function writeProgJson(w: JsonWriter, r: ProgRecord, state: ProgShowState): void {
  const { info } = r;
  w.startObject().uintField('id', info.id);
  const type = typeName(info.type);
  if (type !== undefined) w.stringField('type', type);
  else w.uintField('type', info.type);
  if (r.name !== '') w.stringField('name', r.name);
  w.stringField('tag', info.tag).boolField('gpl_compatible', info.gplCompatible);
  if (info.runTimeNs !== 0n) w.uintField('run_time_ns', info.runTimeNs).uintField('run_cnt', info.runCnt);
  if (info.recursionMisses !== 0n) w.uintField('recursion_misses', info.recursionMisses);
  if (info.ifindex !== 0) {
    w.name('dev').startObject().uintField('ifindex', info.ifindex).uintField('ns_dev', info.netnsDev).uintField('ns_inode', info.netnsIno).endObject();
  }
  if (info.loadTime !== 0n) {
    w.uintField('loaded_at', bootTimeToEpochSeconds(info.loadTime, state.bootOffsetNs)).uintField('uid', info.createdByUid);
  }
  w.uintField('bytes_xlated', info.xlatedProgLen);
  if (info.jitedProgLen !== 0) w.boolField('jited', true).uintField('bytes_jited', info.jitedProgLen);
  else w.boolField('jited', false);
  if (r.memlock !== undefined) w.name('bytes_memlock').raw(String(Number.parseInt(r.memlock, 10) || 0));
  if (r.mapIds.length > 0) w.uintArrayField('map_ids', r.mapIds);
  if (info.btfId !== 0) w.uintField('btf_id', info.btfId);
  if (state.pinned !== undefined && !state.pinned.empty) w.stringArrayField('pinned', state.pinned.get(info.id));
  writePidsJson(w, state.pids, info.id);
  state.metadata?.writeMetadataJson(w, r.metadata);
  w.endObject();
}

function collectOrFail(fd: OwnedFd): ProgRecord {
  try {
    return collect(fd);
  } catch (e) {
    throw cliSysError(e, "can't get prog info");
  }
}

/**
 * `bpf-ts prog show|list [PROG]`: bpftool's `prog show`, same plain layout and JSON fields.
 * `pids` come from /proc rather than bpftool's BPF iterator (same facts); `metadata`
 * (`bpf_metadata_*` variables of `.rodata`) is printed as bpftool does.
 *
 * @example
 * ```ts
 * await progShow(['id', '42'], ctx);
 * ```
 */
export async function progShow(args: readonly string[], ctx: CliContext): Promise<number> {
  if (args.length !== 0 && args.length !== 2) throw new CliError(`what is '${args[0] ?? ''}'?`);
  const pinned = ctx.bpffs ? (await import('./show-pinned.js')).pinnedTable(true, 'prog') : undefined;
  const pids = pidsTable('prog');
  const bootOffsetNs = realtimeMinusBoottimeNs();
  const w = ctx.json ? new (await import('./json-writer.js')).JsonWriter(ctx.pretty) : undefined;
  const records: ProgRecord[] = [];
  try {
    if (args.length === 2) {
      const fds = parseProgHandle(args);
      try {
        // bpftool: no match for a name or tag is a silent failure.
        if (fds.length === 0) {
          // bpftool's JSON writer still ends its (empty) output with a newline.
          if (w !== undefined) ctx.out(w.finish());
          return 255;
        }
        for (const fd of fds) records.push(collectOrFail(fd));
      } finally {
        for (const fd of fds) fd.close();
      }
    } else {
      forEachObject('prog', "can't get next program", (id) => `can't get prog by id (${id})`, (fd) => {
        records.push(collectOrFail(fd));
      });
    }
    // Metadata lives in a program's maps: programs without any need no BTF value dumper.
    const metadata = records.some((r) => r.mapIds.length > 0) ? await import('./prog-metadata.js') : undefined;
    if (metadata !== undefined) for (const r of records) r.metadata = metadata.progMetadata(r.mapIds);
    const state: ProgShowState = { pinned, pids, bootOffsetNs, metadata };
    if (w === undefined) {
      ctx.out(records.map((r) => formatProgPlain(r, state)).join(''));
      return 0;
    }
    // One handle matching one program prints an object; a list (even of one) an array.
    const array = args.length === 0 || records.length > 1;
    if (array) w.startArray();
    for (const r of records) writeProgJson(w, r, state);
    if (array) w.endArray();
    ctx.out(w.finish());
    return 0;
  } finally {
    clearProgNameCache();
  }
}
