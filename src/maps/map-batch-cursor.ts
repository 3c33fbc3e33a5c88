/**
 * The position of a `BPF_MAP_LOOKUP_BATCH` / `BPF_MAP_LOOKUP_AND_DELETE_BATCH` walk: the opaque
 * `out_batch` token the kernel returned, passed back as `in_batch` on the next call (`NULL` on
 * the first). The token is a bucket index for hash maps and a key for arrays, so it is sized
 * `max(key_size, 4)` bytes (libbpf's advice: at least the key size). Reuse one cursor per walk;
 * {@link reset} starts over.
 *
 * @example
 * ```ts
 * const cursor = new MapBatchCursor(map.keySize);
 * while (!cursor.done) { const n = map.lookupBatch(cursor, keys, values); ... }
 * ```
 */
export class MapBatchCursor {
  /** `in_batch`: the token of the previous call. */
  readonly inToken: Uint8Array;
  /** `out_batch`: where the kernel writes the next token. */
  readonly outToken: Uint8Array;
  #started = false;
  #done = false;

  constructor(keySize: number) {
    const size = Math.max(keySize, 4);
    this.inToken = new Uint8Array(size);
    this.outToken = new Uint8Array(size);
  }

  /** False before the first call: `in_batch` is then `NULL`. */
  get started(): boolean {
    return this.#started;
  }

  /** True once the kernel answered `ENOENT`: the walk reached the end. */
  get done(): boolean {
    return this.#done;
  }

  /** Records a finished call: the out token becomes the next in token. */
  advance(done: boolean): void {
    this.inToken.set(this.outToken);
    this.#started = true;
    this.#done = done;
  }

  /** Back to the start. */
  reset(): void {
    this.#started = false;
    this.#done = false;
    this.inToken.fill(0);
    this.outToken.fill(0);
  }
}
