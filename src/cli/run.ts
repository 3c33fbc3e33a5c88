/**
 * `bpf-ts run OBJ|FILE.bpf.c [--set NAME=VALUE ...] [--events MAP[:STRUCT] ...] [--hist MAP ...]
 * [--duration S] [-j]`: the one-command way to try an object. Loads it (compiling a `.bpf.c`
 * first) with global variables set, attaches every program from its SEC() name, prints event
 * records one per line until SIGINT/SIGTERM/SIGHUP or the duration ends, then detaches
 * everything, prints the `--hist` maps and exits 0. See docs/run.md for the defaults.
 */
import { createBtfCodec, type BtfCodec } from '../btf/codec/index.js';
import type { Btf } from '../btf/btf.js';
import { compileFile } from '../compile/compile.js';
import type { EventReader, RecordCallback } from '../events/event-reader.js';
import { PerfBufferReader } from '../events/perf-buffer-reader.js';
import { RingBufferReader } from '../events/ring-buffer-reader.js';
import type { HistogramCount } from '../histogram/counts.js';
import { formatLinearHistogram, formatLog2Histogram, formatSectionHistograms, formatSectionKey } from '../histogram/format.js';
import { readHistogram, readSectionHistograms } from '../histogram/read-map.js';
import { log2SlotRange } from '../histogram/slots.js';
import { attachObject, type ObjectLinks } from '../loader/attach-object.js';
import { loadObject, type BpfObject } from '../loader/bpf-object.js';
import { loadObjectSpec } from '../loader/load-object-spec.js';
import { parseObjectSpec, type ObjectSpec } from '../loader/object-spec.js';
import type { BpfMap } from '../maps/map.js';
import { stopOnSignals, type StopRequest } from '../signals/stop-on-signals.js';
import { MapType } from '../sys/uapi.js';
import { CliError, type CliContext } from './context.js';
import { parseRunArgs, RUN_USAGE, type EventsArg, type HistArg, type RunArgs } from './run-args.js';
import { applyAssignments } from './run-set.js';
import { formatRecord, exactJson } from './run-records.js';

/** Reads an object file, or compiles a `.c` source with `compile()` first. */
export async function openObjectSpec(file: string, ctx: Pick<CliContext, 'err'>, debug: boolean): Promise<ObjectSpec> {
  if (!file.endsWith('.c')) return loadObjectSpec(file);
  const result = await compileFile(file);
  if (debug) ctx.err(`bpf-ts run: ${result.cached ? 'cached object' : 'compiled'} ${result.path}\n`);
  if (result.diagnostics !== '') ctx.err(result.diagnostics);
  return parseObjectSpec(result.bytes, { fileName: result.path });
}

/** One event map being streamed and how its records are shown. */
interface Stream {
  readonly map: string;
  readonly reader: EventReader;
  readonly codec: BtfCodec | undefined;
}

/** The struct type named `name` (`struct` prefix optional; a typedef of a struct too). */
function findStruct(btf: Btf, name: string): number | undefined {
  const direct = btf.findByName(name, 'STRUCT')[0] ?? btf.findByName(name, 'UNION')[0];
  if (direct !== undefined) return direct;
  for (const id of btf.findByName(name, 'TYPEDEF')) {
    const resolved = btf.resolveType(id);
    const kind = btf.kindOf(resolved);
    if (kind === 'STRUCT' || kind === 'UNION') return resolved;
  }
  return undefined;
}

/**
 * The record type of an events map when `--events` names none: a struct called like the map
 * (`events` -> `struct events` or `struct event`), `struct <map>_event`, or a lone
 * `struct event` (libbpf-bootstrap's convention), or else the only struct whose name ends in
 * `event` or `event_t`. `undefined`: records print as hex.
 */
function defaultRecordStruct(btf: Btf | undefined, map: string): number | undefined {
  if (btf === undefined) return undefined;
  const names = [map, map.replace(/s$/, ''), `${map}_event`, `${map.replace(/s$/, '')}_event`, 'event'];
  for (const n of names) {
    if (n === '') continue;
    const ids = btf.findByName(n, 'STRUCT');
    if (ids.length === 1) return ids[0];
  }
  // Else the one struct whose name ends in `event` / `event_t` (`struct exec_event`), if unique.
  let found: number | undefined;
  for (let id = 1; id < btf.typeCount; id++) {
    if (btf.kindOf(id) !== 'STRUCT' || !/event(_t)?$/.test(btf.typeName(id))) continue;
    if (found !== undefined) return undefined;
    found = id;
  }
  return found;
}

function isEventMap(type: number): boolean {
  return type === MapType.RINGBUF || type === MapType.PERF_EVENT_ARRAY;
}

/** Opens the readers: the `--events` maps, or every ring buffer of the object. */
function openStreams(obj: BpfObject, spec: ObjectSpec, events: readonly EventsArg[], ctx: CliContext): Stream[] {
  const chosen: EventsArg[] =
    events.length > 0 ? [...events] : [...obj.maps.values()].filter((m) => m.type === MapType.RINGBUF).map((m) => ({ map: nameOf(obj, m), struct: undefined }));
  const streams: Stream[] = [];
  try {
    for (const e of chosen) {
      const map = obj.map(e.map);
      if (map === undefined) throw new CliError(`--events ${e.map}: the object has no map '${e.map}' (maps: ${mapNames(obj)})`);
      if (!isEventMap(map.type)) throw new CliError(`--events ${e.map}: not a ring buffer or perf event array`);
      let typeId: number | undefined;
      if (e.struct !== undefined) {
        if (spec.btf === undefined) throw new CliError(`--events ${e.map}:${e.struct}: the object has no BTF to decode records with`);
        typeId = findStruct(spec.btf, e.struct);
        if (typeId === undefined) throw new CliError(`--events ${e.map}:${e.struct}: the object's BTF has no struct '${e.struct}'`);
      } else {
        typeId = defaultRecordStruct(spec.btf, e.map);
      }
      const codec = typeId === undefined || spec.btf === undefined ? undefined : createBtfCodec(spec.btf, typeId, { enums: 'name' });
      const reader =
        map.type === MapType.RINGBUF
          ? RingBufferReader.open(map)
          : PerfBufferReader.open(map, { onLost: (cpu, lost) => ctx.err(`bpf-ts run: ${e.map}: ${lost} record${lost === 1 ? '' : 's'} lost on CPU ${cpu}\n`) });
      streams.push({ map: e.map, reader, codec });
    }
  } catch (err) {
    for (const s of streams) s.reader.close();
    throw err;
  }
  return streams;
}

function mapNames(obj: BpfObject): string {
  return [...obj.maps.keys()].sort().join(', ');
}

function nameOf(obj: BpfObject, map: BpfMap): string {
  for (const [name, m] of obj.maps) if (m === map) return name;
  return map.name;
}

/** The callback printing one stream's records. */
function printer(stream: Stream, ctx: CliContext, json: boolean, prefix: boolean): RecordCallback {
  return (view, offset, length) => {
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    const codec = stream.codec;
    const record = codec !== undefined && length >= codec.size ? codec.decode(bytes, offset) : bytes.slice(offset, offset + length);
    ctx.out(`${formatRecord(record, json, prefix ? stream.map : undefined)}\n`);
  };
}

/** The key member names of a struct-keyed map other than `slot`, from the object's BTF. */
function sectionField(spec: ObjectSpec, mapName: string): string | undefined {
  const btf = spec.btf;
  const m = spec.maps.find((x) => x.name === mapName);
  if (btf === undefined || m === undefined || m.btfKeyTypeId === 0) return undefined;
  const key = btf.typeById(btf.resolveType(m.btfKeyTypeId));
  if (key.kind !== 'STRUCT') return undefined;
  return key.members.map((x) => x.name).find((n) => n !== 'slot' && n !== '' && !n.startsWith('__pad'));
}

function isStructKeyed(spec: ObjectSpec, mapName: string): boolean {
  const btf = spec.btf;
  const m = spec.maps.find((x) => x.name === mapName);
  if (btf === undefined || m === undefined || m.btfKeyTypeId === 0) return false;
  return btf.kindOf(btf.resolveType(m.btfKeyTypeId)) === 'STRUCT';
}

/** JSON buckets of a histogram: bcc's printed range (log2 from slot 1, linear from 0) up to the last count. */
function jsonBuckets(counts: readonly HistogramCount[], kind: 'log2' | 'linear'): string {
  let last = -1;
  counts.forEach((c, i) => {
    if (BigInt(c) > 0n) last = i;
  });
  const out: string[] = [];
  for (let i = kind === 'log2' ? 1 : 0; i <= last; i++) {
    const count = BigInt(counts[i] ?? 0);
    if (kind === 'linear') {
      out.push(`{"value":${i},"count":${count}}`);
      continue;
    }
    const { low, high } = log2SlotRange(i);
    out.push(`{"low":${low},"high":${high},"count":${count}}`);
  }
  return `[${out.join(',')}]`;
}

/** Prints one `--hist` map: bcc's text, or one JSON line with -j. */
function printHistogram(obj: BpfObject, spec: ObjectSpec, h: HistArg, ctx: CliContext, json: boolean): void {
  const map = obj.map(h.map);
  if (map === undefined) return;
  const format = h.kind === 'linear' ? formatLinearHistogram : formatLog2Histogram;
  if (isStructKeyed(spec, h.map)) {
    const field = sectionField(spec, h.map);
    const sections = readSectionHistograms(map, field === undefined ? {} : { sectionField: field });
    if (json) {
      const parts = sections.map((s) => `{"key":${exactJson(s.key)},"buckets":${jsonBuckets(s.counts, h.kind)}}`);
      ctx.out(`{"hist":${JSON.stringify(h.map)},"kind":"${h.kind}","sections":[${parts.join(',')}]}\n`);
      return;
    }
    ctx.out(`${h.map}:\n${formatSectionHistograms(sections, { kind: h.kind, valType: h.label, sectionHeader: field ?? 'key', formatKey: formatSectionKey })}`);
    return;
  }
  const counts = readHistogram(map);
  if (json) {
    ctx.out(`{"hist":${JSON.stringify(h.map)},"kind":"${h.kind}","buckets":${jsonBuckets(counts, h.kind)}}\n`);
    return;
  }
  ctx.out(`${h.map}:\n${format(counts, { valType: h.label })}`);
}

/**
 * Loads, attaches and streams as `bpf-ts run` does, until a stop signal, `options.durationMs`,
 * or `stop` aborts (tests and embedding). Returns the exit code.
 *
 * @example
 * ```ts
 * await runObject(parseRunArgs(['bpf/run/kill_events.bpf.o', '--duration', '1'], ctx), ctx);
 * ```
 */
export async function runObject(args: RunArgs, ctx: CliContext, stop?: AbortSignal): Promise<number> {
  const json = args.json;
  const spec = await openObjectSpec(args.object, ctx, args.debug);
  applyAssignments(spec, args.sets);
  const obj = await loadObject(spec, args.debug ? { debug: (line: string) => ctx.err(`${line}\n`) } : {});
  for (const h of args.hists) {
    if (obj.map(h.map) === undefined) {
      obj.close();
      throw new CliError(`--hist ${h.map}: the object has no map '${h.map}' (maps: ${mapNames(obj)})`);
    }
  }
  let links: ObjectLinks | undefined;
  let streams: Stream[] = [];
  let stopper: StopRequest | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    links = attachObject(obj);
    const skipped = [...obj.programs.keys()].filter((name) => links?.link(name) === undefined);
    for (const name of skipped) ctx.err(`bpf-ts run: program '${name}' (SEC("${obj.program(name)?.section ?? ''}")) not attached: its section names no attach target\n`);
    streams = openStreams(obj, spec, args.events, ctx);
    const readyParts = [`${links.links.size} program${links.links.size === 1 ? '' : 's'} attached${links.links.size > 0 ? ` (${[...links.links.keys()].join(', ')})` : ''}`];
    if (streams.length > 0) readyParts.push(`streaming ${streams.map((s) => `${s.map}${s.codec === undefined ? ' as hex' : ` as ${s.codec.typeName}`}`).join(', ')}`);
    ctx.err(`bpf-ts run: ${readyParts.join('; ')}; ${args.durationMs === undefined ? 'Ctrl-C to stop' : `stopping after ${args.durationMs / 1000}s or Ctrl-C`}\n`);

    const request = stopOnSignals({ signal: stop });
    stopper = request;
    if (args.durationMs !== undefined) timer = setTimeout(() => request.abort(), args.durationMs);
    const stopped = new Promise<void>((resolve) => {
      if (request.signal.aborted) resolve();
      else request.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    const prefix = streams.length > 1;
    const runs = streams.map((s) =>
      s.reader.run(printer(s, ctx, json, prefix), { signal: request.signal }).catch((e: unknown) => {
        if (!request.signal.aborted) throw e;
      }),
    );
    await Promise.race([stopped, Promise.all(runs)]);
    if (!request.signal.aborted) await stopped; // every reader ended on its own: still wait for the stop
    // Detach first, then drain what the programs sent before detaching.
    links.close();
    for (const s of streams) s.reader.consume(printer(s, ctx, json, prefix));
    for (const h of args.hists) printHistogram(obj, spec, h, ctx, json);
    return 0;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    stopper?.[Symbol.dispose]();
    for (const s of streams) s.reader.close();
    try {
      links?.close();
    } finally {
      obj.close();
    }
  }
}

/**
 * `bpf-ts run ...` (the words after `run`).
 *
 * @example
 * ```ts
 * await runRun(['prog.bpf.o', '--events', 'rb:event', '--duration', '5'], ctx);
 * ```
 */
export async function runRun(args: readonly string[], ctx: CliContext, stop?: AbortSignal): Promise<number> {
  if (args.length === 1 && (args[0] === 'help' || args[0] === '--help' || args[0] === '-h')) {
    ctx.out(RUN_USAGE);
    return 0;
  }
  const parsed = parseRunArgs(args, ctx);
  return runObject(parsed, { ...ctx, json: parsed.json, pretty: parsed.pretty, debug: parsed.debug }, stop);
}

