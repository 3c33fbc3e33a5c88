import { MapError } from '../maps/errors.js';
import type { BpfMap } from '../maps/map.js';
import { strerror } from '../sys/strerror.js';
import { CliError, type CliContext } from './context.js';
import { errnoExit, openOneMap, parseElem } from './map-args.js';
import { hexBytes, printKeyValue, writeHexJson } from './map-entry-format.js';
import { JsonWriter } from './json-writer.js';

/**
 * bpftool's element commands on one map (`map.c`: `do_lookup`, `do_update`, `do_delete`,
 * `do_getnext`, `do_pop_dequeue`), with its messages and exit statuses: a failed syscall exits
 * with libbpf's `-errno` as a byte (ENOENT: 254), argument errors with 255.
 */

function requireMap(args: readonly string[], verb: string): void {
  if (args.length < 2) throw new CliError(`'map ${verb}' needs a MAP (id N | pinned FILE | name NAME)`);
}

function syscallFailure(what: string, e: unknown): CliError {
  if (e instanceof MapError && e.errno !== 0) return new CliError(`${what}: ${strerror(e.errno)}`, errnoExit(e.errno), { cause: e });
  if (e instanceof CliError) return e;
  return new CliError(`${what}: ${e instanceof Error ? e.message : String(e)}`, 255, { cause: e });
}

function withMap(args: readonly string[], verb: string, run: (map: BpfMap, rest: readonly string[]) => number): number {
  requireMap(args, verb);
  const map = openOneMap(args);
  if (map === undefined) return 255;
  try {
    return run(map, args.slice(2));
  } finally {
    map.close();
  }
}

/** `map lookup MAP [key DATA]` and `map peek MAP` (queue/stack: no key). */
export async function mapLookup(args: readonly string[], ctx: CliContext, verb = 'lookup'): Promise<number> {
  return withMap(args, verb, (map, rest) => {
    const { key = new Uint8Array(0) } = parseElem(rest, map, true, false, false);
    let value: Uint8Array | undefined;
    try {
      value = map.keySize === 0 ? map.peek() : map.lookup(key);
    } catch (e) {
      throw syscallFailure('lookup failed', e);
    }
    if (value === undefined) {
      ctx.out(ctx.json ? 'null\n' : `key:\n${hexBytes(key, map.keySize)}\n\nNot found\n`);
      return errnoExit(2);
    }
    ctx.out(printKeyValue(map, key, value, ctx.json, ctx.pretty));
    return 0;
  });
}

/** `map update MAP [key DATA] [value VALUE] [UPDATE_FLAGS]`, also `push`/`enqueue` (no key). */
export async function mapUpdate(args: readonly string[], ctx: CliContext, verb = 'update'): Promise<number> {
  return withMap(args, verb, (map, rest) => {
    const elem = parseElem(rest, map, true, true, true, ctx.json ? () => undefined : ctx.err);
    try {
      const value = elem.value ?? new Uint8Array(map.valueBufferSize);
      try {
        if (map.keySize === 0) map.push(value, elem.flags);
        else map.update(elem.key ?? new Uint8Array(0), value, elem.flags);
      } catch (e) {
        throw syscallFailure('update failed', e);
      }
    } finally {
      for (const fd of elem.valueFds) fd.close();
    }
    if (ctx.json) ctx.out('null\n');
    return 0;
  });
}

/** `map delete MAP key DATA`. */
export async function mapDelete(args: readonly string[], ctx: CliContext): Promise<number> {
  return withMap(args, 'delete', (map, rest) => {
    const { key = new Uint8Array(0) } = parseElem(rest, map, true, false, false);
    let deleted: boolean;
    try {
      deleted = map.delete(key);
    } catch (e) {
      throw syscallFailure('delete failed', e);
    }
    if (!deleted) throw new CliError(`delete failed: ${strerror(2)}`, errnoExit(2));
    if (ctx.json) ctx.out('null\n');
    return 0;
  });
}

/** `map getnext MAP [key DATA]`: the key after DATA, or the first key. */
export async function mapGetNext(args: readonly string[], ctx: CliContext): Promise<number> {
  return withMap(args, 'getnext', (map, rest) => {
    const key = rest.length > 0 ? (parseElem(rest, map, true, false, false).key ?? new Uint8Array(0)) : null;
    let next: Uint8Array | undefined;
    try {
      next = map.nextKey(key);
    } catch (e) {
      throw syscallFailure("can't get next key", e);
    }
    if (next === undefined) throw new CliError(`can't get next key: ${strerror(2)}`, errnoExit(2));
    if (ctx.json) {
      const w = new JsonWriter(ctx.pretty);
      w.startObject();
      if (key !== null) {
        w.name('key');
        writeHexJson(w, key, map.keySize);
      } else {
        w.name('key').null();
      }
      w.name('next_key');
      writeHexJson(w, next, map.keySize);
      w.endObject();
      ctx.out(w.finish());
    } else {
      ctx.out(`${key !== null ? `key:\n${hexBytes(key, map.keySize)}\n` : 'key: None\n'}next key:\n${hexBytes(next, map.keySize)}\n`);
    }
    return 0;
  });
}

/** `map pop MAP` / `map dequeue MAP`: `BPF_MAP_LOOKUP_AND_DELETE_ELEM` with no key. */
export async function mapPop(args: readonly string[], ctx: CliContext, verb = 'pop'): Promise<number> {
  return withMap(args, verb, (map) => {
    let value: Uint8Array | undefined;
    const key = new Uint8Array(map.keySize);
    try {
      value = map.keySize === 0 ? map.pop() : map.lookupAndDelete(key);
    } catch (e) {
      throw syscallFailure('pop failed', e);
    }
    if (value === undefined) {
      // bpftool printf()s this one to stdout, not through p_err.
      ctx.out(ctx.json ? 'null\n' : 'Error: empty map\n');
      return errnoExit(2);
    }
    ctx.out(printKeyValue(map, key, value, ctx.json, ctx.pretty));
    return 0;
  });
}
