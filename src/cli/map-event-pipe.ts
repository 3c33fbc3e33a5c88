/**
 * `map event_pipe MAP [cpu N index M]`: prints what BPF programs send through a perf event array
 * until SIGINT/SIGTERM/SIGHUP, as bpftool's `do_event_pipe` (one `BPF_OUTPUT` event per CPU with
 * 16 data pages, samples with their time; `lost N events` lines; a JSON array under -j).
 *
 * Our extension: a ring buffer map prints its records the same way (no CPU, index or time: the
 * kernel keeps none for them), `== ringbuf: NAME size: N =====` then the bytes; under -j
 * `{"size":N,"data":[...]}` objects.
 */
import type { EventReader } from '../events/event-reader.js';
import { PerfBufferReader } from '../events/perf-buffer-reader.js';
import { RingBufferReader } from '../events/ring-buffer-reader.js';
import { SysError } from '../sys/errors.js';
import { strerror } from '../sys/strerror.js';
import { MapType } from '../sys/uapi.js';
import { CliError, type CliContext } from './context.js';
import { isKeyword } from './grammar.js';
import { JsonWriter } from './json-writer.js';
import { openOneMap } from './map-args.js';
import { parseCUnsigned } from './object-handle.js';
import { stopOnSignals } from '../signals/stop-on-signals.js';

/** bpftool's `MMAP_PAGE_CNT`. */
const PAGE_COUNT = 16;
/** `PERF_RECORD_SAMPLE`, `PERF_RECORD_LOST`: the `type` of bpftool's JSON objects. */
const RECORD_SAMPLE = 9;
const RECORD_LOST = 2;

/**
 * bpftool's `fprint_hex(..., " ")`: bytes as `%02x`, a space between them, two after the 8th,
 * a new line every 16; no trailing newline.
 *
 * @example
 * ```ts
 * hexBytes(Uint8Array.of(1, 2, 3)); // '01 02 03'
 * ```
 */
export function hexBytes(data: Uint8Array): string {
  let out = '';
  for (let i = 0; i < data.length; i++) {
    if (i === 0) {
      // nothing before the first byte
    } else if (i % 16 === 0) out += '\n';
    else if (i % 8 === 0) out += '  ';
    else out += ' ';
    out += (data[i] as number).toString(16).padStart(2, '0');
  }
  return out;
}

interface PipeArgs {
  cpu: number | undefined;
  index: number | undefined;
}

function parseArgs(args: readonly string[]): PipeArgs {
  const a: PipeArgs = { cpu: undefined, index: undefined };
  for (let i = 0; i < args.length; i += 2) {
    const word = args[i] as string;
    const value = args[i + 1];
    if (value === undefined) throw new CliError(`what is '${word}'?`);
    if (isKeyword(word, 'cpu')) {
      a.cpu = parseCUnsigned(value);
      if (a.cpu === undefined) throw new CliError(`can't parse ${value} as CPU ID`);
    } else if (isKeyword(word, 'index')) {
      a.index = parseCUnsigned(value);
      if (a.index === undefined) throw new CliError(`can't parse ${value} as index`);
    } else {
      throw new CliError(`what is '${word}'?`);
    }
  }
  if (args.length > 0 && (a.cpu === undefined || a.index === undefined)) throw new CliError('cpu and index must be specified together');
  return a;
}

/**
 * `map event_pipe`. `signal` (embedding, tests) stops it like SIGINT does.
 *
 * @example
 * ```ts
 * await mapEventPipe(['name', 'events'], ctx); // until Ctrl-C
 * ```
 */
export async function mapEventPipe(args: readonly string[], ctx: CliContext, signal?: AbortSignal): Promise<number> {
  if (args.length < 2) throw new CliError(`'event_pipe' needs at least 2 arguments, ${args.length} found`);
  const map = openOneMap(args);
  if (map === undefined) return 255;
  const json = ctx.json ? new JsonWriter(ctx.pretty) : undefined;
  let reader: EventReader;
  let print: (view: DataView, offset: number, length: number) => void;
  try {
    const a = parseArgs(args.slice(2));
    if (map.type === MapType.PERF_EVENT_ARRAY) {
      const onLost = (cpu: number, lost: number, id: bigint): void => {
        const index = a.cpu === undefined ? cpu : (a.index as number);
        if (json !== undefined) {
          json.startObject().uintField('type', RECORD_LOST).uintField('cpu', cpu).uintField('index', index);
          json.name('lost').startObject().uintField('id', id).uintField('count', lost).endObject().endObject();
          ctx.out(json.take());
        } else {
          ctx.out(`lost ${lost} events\n`);
        }
      };
      let perf: PerfBufferReader;
      try {
        perf = PerfBufferReader.open(map, {
          pageCount: PAGE_COUNT,
          timestamps: true,
          onLost,
          ...(a.cpu === undefined ? {} : { cpus: [a.cpu], keys: [a.index as number] }),
        });
      } catch (e) {
        // bpftool's line (`strerror (errno)`), after libbpf's note of what failed, which ours is.
        const sys = e instanceof Error && e.cause instanceof SysError ? e.cause : undefined;
        if (sys !== undefined) {
          ctx.err(`${(e as Error).message}\n`);
          throw new CliError(`failed to create perf buffer: ${strerror(sys.errno)} (${sys.errno})`, 255, { cause: e });
        }
        // Checked before any syscall: an index past max_entries (the kernel would say E2BIG).
        throw new CliError(`failed to create perf buffer: ${(e as Error).message}`, 255, { cause: e });
      }
      reader = perf;
      print = (view, offset, length) => {
        const data = new Uint8Array(view.buffer, view.byteOffset + offset, length);
        const { cpu, key, time } = perf.sample;
        if (json !== undefined) {
          json.startObject().uintField('type', RECORD_SAMPLE).uintField('cpu', cpu).uintField('index', key).uintField('timestamp', time);
          ctx.out(json.uintArrayField('data', data).endObject().take());
        } else {
          ctx.out(`== @${time / 1_000_000_000n}.${String(time % 1_000_000_000n).padStart(9, '0')} CPU: ${cpu} index: ${key} =====\n${hexBytes(data)}\n`);
        }
      };
    } else if (map.type === MapType.RINGBUF) {
      if (a.cpu !== undefined) throw new CliError('cpu and index apply to perf event arrays only, not ring buffers');
      reader = RingBufferReader.open(map);
      print = (view, offset, length) => {
        const data = new Uint8Array(view.buffer, view.byteOffset + offset, length);
        if (json !== undefined) ctx.out(json.startObject().uintField('size', length).uintArrayField('data', data).endObject().take());
        else ctx.out(`== ringbuf: ${map.name} size: ${length} =====\n${hexBytes(data)}\n`);
      };
    } else {
      throw new CliError('map is not a perf event array or a ring buffer');
    }
  } catch (e) {
    map.close();
    throw e;
  }
  using stop = stopOnSignals({ signal, onStop: () => ctx.err('Stopping...\n') });
  if (json !== undefined) ctx.out(json.startArray().take());
  try {
    while (!stop.signal.aborted) {
      try {
        await reader.poll(print, { signal: stop.signal });
      } catch (e) {
        if (stop.signal.aborted) break;
        throw new CliError(`${map.type === MapType.RINGBUF ? 'ring' : 'perf'} buffer polling failed: ${(e as Error).message}`, 255, { cause: e });
      }
    }
    // What arrived with the stop is printed too.
    reader.consume(print);
  } finally {
    reader.close();
    map.close();
  }
  if (json !== undefined) ctx.out(json.endArray().finish());
  return 0;
}
