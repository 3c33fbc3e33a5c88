import { native } from './native.js';

/**
 * Which buffers the `key` and `value`/`next_key` pointers of the `bpf_attr` name, for
 * {@link MapElemBlock.run}: OR one key choice with one value choice.
 */
export const ElemPointers = {
  /** `key` = NULL (queue/stack push, pop, peek; the first GET_NEXT_KEY). */
  NO_KEY: 0,
  /** `key` = {@link MapElemBlock.key}. */
  KEY: 1,
  /** `value` = NULL (DELETE_ELEM). */
  NO_VALUE: 0,
  /** `value` = {@link MapElemBlock.value}. */
  VALUE: 1 << 2,
  /** `next_key` = {@link MapElemBlock.nextKey} (GET_NEXT_KEY). */
  NEXT_KEY: 2 << 2,
} as const;

/**
 * Words of the block header: `cmd`, `pointers`, `flags` (u32; read by the addon), `result`
 * (written by the addon: the syscall's result or -errno). The slots follow.
 */
const HEADER = { cmd: 0, pointers: 1, flags: 2, result: 3, BYTES: 16 } as const;

function round8(n: number): number {
  return (Math.max(n, 1) + 7) & ~7;
}

/**
 * The element commands of one map (`BPF_MAP_LOOKUP_ELEM`, `UPDATE_ELEM`, `DELETE_ELEM`,
 * `GET_NEXT_KEY`, `LOOKUP_AND_DELETE_ELEM`) at the cost of one cheap addon call each.
 *
 * The addon allocates a block (`mapElemBlock`) holding a small header and the key, next-key and
 * value slots, and owns it: JS sees it through an external ArrayBuffer, and the addon knows it by
 * the block's own `run` function. A call writes the command, the pointer choice and the flags into
 * the header and calls `run()` without arguments; the result comes back in the header too; the
 * addon builds the `bpf_attr` on its stack with the map fd given here and
 * pointers into the block. So a call neither inspects a JS buffer nor trusts an address from JS,
 * and the slots' addresses never move: the memory is not a V8 heap object, and only the
 * ArrayBuffer's finalizer frees it, after this object (which holds the views) is gone. Detaching
 * the buffer cannot free it under a call either (`run` then throws).
 *
 * The fd must stay the map the sizes were given for: check it is open before each {@link run}
 * (a closed fd number reused by a map with larger keys or values would let the kernel write past
 * the slots). Not for sharing between worker threads.
 *
 * @example
 * ```ts
 * const elem = new MapElemBlock(fd, 4, 8);
 * new DataView(elem.key.buffer, elem.key.byteOffset).setUint32(0, 7, true);
 * const r = elem.run(BpfCmd.MAP_LOOKUP_ELEM, ElemPointers.KEY | ElemPointers.VALUE, 0);
 * if (r === -2) console.log('no key 7'); else console.log(elem.value);
 * ```
 */
export class MapElemBlock {
  /** The key slot (`keySize` bytes). */
  readonly key: Uint8Array;
  /** The next-key slot of `GET_NEXT_KEY` (`keySize` bytes). */
  readonly nextKey: Uint8Array;
  /** The value slot (`valueSize` bytes: the whole per-CPU buffer for per-CPU maps). */
  readonly value: Uint8Array;
  readonly #header: Int32Array;
  readonly #run: () => void;

  /** A block for the map at `fd` whose keys are `keySize` and values `valueSize` bytes. */
  constructor(fd: number, keySize: number, valueSize: number) {
    const sys = native();
    const { run, buffer } = sys.mapElemBlock(fd, keySize, valueSize);
    const keyCap = round8(keySize);
    this.#run = run;
    this.#header = new Int32Array(buffer, 0, HEADER.BYTES / 4);
    this.key = new Uint8Array(buffer, HEADER.BYTES, keySize);
    this.nextKey = new Uint8Array(buffer, HEADER.BYTES + keyCap, keySize);
    this.value = new Uint8Array(buffer, HEADER.BYTES + 2 * keyCap, valueSize);
  }

  /**
   * Runs `cmd` with the `key`/`value` pointers chosen by `pointers` ({@link ElemPointers}) and
   * `flags` (u32); returns the syscall's result (0) or `-errno`. Never throws for a failed call.
   */
  run(cmd: number, pointers: number, flags: number): number {
    const header = this.#header;
    header[HEADER.cmd] = cmd;
    header[HEADER.pointers] = pointers;
    // An Int32Array stores the same 32 bits for flags >= 2^31.
    header[HEADER.flags] = flags;
    this.#run();
    return header[HEADER.result]!;
  }
}
