/**
 * The BTF parser (src/btf), loaded on first use. `prog show`, `map show` and handle parsing need
 * it only for truncated names and `.rodata` metadata, and module loading was most of a
 * `prog show`'s own start-up time (bench scenario 5). Node >= 20.19 (our floor) loads ES modules
 * synchronously through `require()`; the module instances are the ones an `import` gets.
 *
 * This reaches past the `src/btf` barrel on purpose, to the parser's own modules: the barrel
 * also loads the C dumper, CO-RE and the codecs (44 modules against the parser's 10), which is
 * what start-up must not pay for when a program's metadata needs parsing.
 */
import { createRequire } from 'node:module';

type BtfParser = typeof import('../btf/btf.js') & typeof import('../btf/types.js');

let loaded: BtfParser | undefined;

/**
 * `parseBtf`, `Btf` and the BTF constants (`BtfIntEncoding`, ...), loaded now if they were not yet.
 *
 * @example
 * ```ts
 * const btf = btfModule().parseBtf(bytes);
 * ```
 */
export function btfModule(): BtfParser {
  if (loaded === undefined) {
    const require = createRequire(import.meta.url);
    loaded = { ...(require('../btf/types.js') as typeof import('../btf/types.js')), ...(require('../btf/btf.js') as typeof import('../btf/btf.js')) };
  }
  return loaded;
}
