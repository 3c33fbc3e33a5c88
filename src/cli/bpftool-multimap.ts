/**
 * The iteration order of libbpf's `struct hashmap` with `hashmap__append()` and
 * `hashmap__for_each_key_entry()`, which bpftool uses for `btf show` (program and map ids per
 * BTF object) and `-f` (pinned paths per object). Entries are pushed at the head of their bucket
 * and every resize re-pushes each chain in order, which reverses it, so the order in which
 * bpftool prints several values of one key depends on when the table grew. This reproduces it
 * exactly, so our output matches bpftool's byte for byte.
 */
export class BpftoolMultiMap<V> {
  private buckets: Array<Array<{ key: number; value: V }>> = [];
  private capBits = 0;
  private size = 0;

  /** libbpf's `hash_bits()` on LP64: the top `bits` bits of `h * 11400714819323198485`. */
  private static bucketOf(key: number, bits: number): number {
    if (bits === 0) return 0;
    const h = (BigInt(key) * 11400714819323198485n) & 0xffff_ffff_ffff_ffffn;
    return Number(h >> BigInt(64 - bits));
  }

  private grow(): void {
    const bits = Math.max(this.capBits + 1, 2);
    const next: Array<Array<{ key: number; value: V }>> = Array.from({ length: 1 << bits }, () => []);
    for (const chain of this.buckets) {
      for (const entry of chain) next[BpftoolMultiMap.bucketOf(entry.key, bits)]?.unshift(entry);
    }
    this.buckets = next;
    this.capBits = bits;
  }

  /** `hashmap__append(map, key, value)`. */
  append(key: number, value: V): void {
    const cap = this.buckets.length;
    // hashmap_needs_to_grow(): empty, or more than 75% full after this insert.
    if (cap === 0 || Math.floor(((this.size + 1) * 4) / 3) > cap) this.grow();
    this.buckets[BpftoolMultiMap.bucketOf(key, this.capBits)]?.unshift({ key, value });
    this.size++;
  }

  /** The values of `key` in `hashmap__for_each_key_entry()` order. */
  get(key: number): V[] {
    if (this.buckets.length === 0) return [];
    return (this.buckets[BpftoolMultiMap.bucketOf(key, this.capBits)] ?? []).filter((e) => e.key === key).map((e) => e.value);
  }

  /** `hashmap__empty()`. */
  get empty(): boolean {
    return this.size === 0;
  }
}
