/**
 * The BTF layer (src/btf), loaded on first use. `prog show`, `map show` and handle parsing need it
 * only for truncated names and metadata, and loading its ~45 modules was most of a `prog show`'s
 * own start-up time (bench scenario 5). Node >= 20.19 (our floor) loads ES modules synchronously
 * through `require()`; the module instance is the same one an `import` gets.
 */
import { createRequire } from 'node:module';

type BtfModule = typeof import('../btf/index.js');

let loaded: BtfModule | undefined;

/**
 * The `src/btf` module namespace, loaded now if it was not yet.
 *
 * @example
 * ```ts
 * const btf = btfModule().parseBtf(bytes);
 * ```
 */
export function btfModule(): BtfModule {
  loaded ??= createRequire(import.meta.url)('../btf/index.js') as BtfModule;
  return loaded;
}
