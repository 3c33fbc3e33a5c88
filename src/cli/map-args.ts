import { isMapOfMapsType, UpdateFlag } from '../maps/map-kinds.js';
import { BpfMap } from '../maps/map.js';
import type { OwnedFd } from '../sys/fd.js';
import { MapType } from '../sys/uapi.js';
import { CliError } from './context.js';
import { isKeyword } from './grammar.js';
import { parseMapHandle, parseProgHandle } from './object-handle.js';

/**
 * The argument grammar of bpftool's element commands (`map.c`: `parse_elem`, `parse_bytes`,
 * `map_parse_fd`): `MAP := id N | pinned FILE | name NAME`, `key [hex] BYTES`,
 * `value [hex] BYTES | MAP | PROG`, `UPDATE_FLAGS := any | exist | noexist`.
 */

/** A failure of a syscall as bpftool exits on it: the libbpf `-errno`, truncated to a byte. */
export function errnoExit(errno: number): number {
  return (256 - errno) & 0xff || 255;
}

/**
 * `map_parse_fd` + info: exactly one map (`several maps match this handle` otherwise);
 * `undefined` when a name matches none (bpftool fails silently then).
 */
export function openOneMap(args: readonly string[]): BpfMap | undefined {
  const fds = parseMapHandle(args);
  if (fds.length !== 1) {
    for (const fd of fds) fd.close();
    if (fds.length === 0) return undefined;
    throw new CliError('several maps match this handle', 255);
  }
  return BpfMap.fromFd(fds[0] as OwnedFd);
}

/** `strtoul(word, &end, base)` into an `unsigned char`, accepting the whole word only. */
function parseByte(word: string, base: 0 | 16): number | undefined {
  const m = base === 16 ? /^\s*([+-]?)(?:0[xX])?([0-9a-fA-F]*)$/.exec(word) : /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?$/.exec(word);
  if (!m) return undefined;
  const digits = m[2] ?? '';
  if (digits === '') return 0;
  let v: bigint;
  if (base === 16) v = BigInt(`0x${digits}`);
  else if (/^0[xX]/.test(digits)) v = BigInt(digits);
  else if (digits.startsWith('0') && digits.length > 1) v = BigInt(`0o${digits.slice(1)}`);
  else v = BigInt(digits);
  const max = (1n << 64n) - 1n;
  if (v > max) v = max;
  if (m[1] === '-') v = (max + 1n - v) & max;
  return Number(v & 0xffn);
}

/** `parse_bytes`: `[hex] B0 B1 ...`, exactly `n` bytes; returns the bytes and the words consumed. */
export function parseBytes(args: readonly string[], name: string, n: number): { bytes: Uint8Array; used: number } {
  let i = 0;
  let base: 0 | 16 = 0;
  if (isKeyword(args[0], 'hex')) {
    base = 16;
    i = 1;
  }
  const bytes = new Uint8Array(n);
  let count = 0;
  while (count < n && args[i] !== undefined) {
    const word = args[i] as string;
    const b = parseByte(word, base);
    if (b === undefined) throw new CliError(`error parsing byte: ${word}`);
    bytes[count++] = b;
    i++;
  }
  if (count !== n) throw new CliError(`${name} expected ${n} bytes got ${count}`);
  return { bytes, used: i };
}

/** What `parse_elem` collected. */
export interface ParsedElem {
  key?: Uint8Array;
  value?: Uint8Array;
  flags: number;
  /** fds opened for `value` of prog arrays / map-in-map (closed by the caller). */
  readonly valueFds: OwnedFd[];
}

/**
 * `parse_elem`: reads `key ...`, `value ...` and an update flag, in any order, each at most once.
 * `wantKey`/`wantValue`/`wantFlags` say which the command takes (bpftool: "unnecessary key",
 * "duplicate value", ...).
 */
export function parseElem(args: readonly string[], map: BpfMap, wantKey: boolean, wantValue: boolean, wantFlags: boolean, warn: (text: string) => void = () => undefined): ParsedElem {
  const out: ParsedElem = { flags: UpdateFlag.ANY, valueFds: [] };
  let needKey = wantKey && map.keySize !== 0;
  let needValue = wantValue && map.valueSize !== 0;
  let flagsAllowed = wantFlags;
  let i = 0;
  try {
    for (;;) {
      const word = args[i];
      if (word === undefined) {
        if (!needKey && !needValue) return out;
        throw new CliError(`did not find ${needKey ? 'key' : 'value'}`);
      }
      if (isKeyword(word, 'key')) {
        if (!needKey) throw new CliError(out.key !== undefined ? 'duplicate key' : 'unnecessary key');
        const { bytes, used } = parseBytes(args.slice(i + 1), 'key', map.keySize);
        out.key = bytes;
        needKey = false;
        i += 1 + used;
      } else if (isKeyword(word, 'value')) {
        if (!needValue) throw new CliError(out.value !== undefined ? 'duplicate value' : 'unnecessary value');
        i++;
        if (isMapOfMapsType(map.type) || map.type === MapType.PROG_ARRAY) {
          const what = map.type === MapType.PROG_ARRAY ? 'map of progs' : 'map in map';
          if (map.valueSize !== 4) throw new CliError(`value smaller than 4B for ${what}?`);
          if (args[i] === undefined || args[i + 1] === undefined) throw new CliError(`not enough value arguments for ${what}`);
          const handle = args.slice(i, i + 2);
          if (map.type === MapType.PROG_ARRAY && isKeyword(handle[0], 'id')) {
            warn('Warning: updating program array via MAP_ID, make sure this map is kept open\n         by some process or pinned otherwise update will be lost\n');
          }
          const fds = map.type === MapType.PROG_ARRAY ? parseProgHandle(handle) : parseMapHandle(handle);
          out.valueFds.push(...fds);
          if (fds.length !== 1) throw new CliError(map.type === MapType.PROG_ARRAY ? 'several programs match this handle' : 'several maps match this handle');
          const v = new Uint8Array(map.valueBufferSize);
          new DataView(v.buffer).setUint32(0, (fds[0] as OwnedFd).fd, true);
          out.value = v;
          i += 2;
        } else {
          const { bytes, used } = parseBytes(args.slice(i), 'value', map.valueSize);
          // Per-CPU maps: the one value given goes to every CPU (bpftool's fill_per_cpu_value).
          out.value = map.perCpu ? map.perCpuBuffer(bytes) : bytes;
          i += used;
        }
        needValue = false;
      } else if (isKeyword(word, 'any') || isKeyword(word, 'noexist') || isKeyword(word, 'exist')) {
        if (!flagsAllowed) throw new CliError(`flags specified multiple times: ${word}`);
        out.flags = isKeyword(word, 'any') ? UpdateFlag.ANY : isKeyword(word, 'noexist') ? UpdateFlag.NOEXIST : UpdateFlag.EXIST;
        flagsAllowed = false;
        i++;
      } else {
        throw new CliError(`expected key or value, got: ${word}`);
      }
    }
  } catch (e) {
    for (const fd of out.valueFds) fd.close();
    throw e;
  }
}
