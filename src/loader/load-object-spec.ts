import { readFile } from 'node:fs/promises';
import { parseObjectSpec, type ObjectSpec, type ParseObjectSpecOptions } from './object-spec.js';

/**
 * Reads a BPF object file and parses it with {@link parseObjectSpec}; the file name is used for
 * error messages and internal map names. The only file I/O of the spec half of the loader.
 *
 * @example
 * ```ts
 * const spec = await loadObjectSpec('bpf/minimal.bpf.o');
 * console.log(spec.programs.map((p) => `${p.name} (${p.section})`));
 * ```
 */
export async function loadObjectSpec(path: string, options: Omit<ParseObjectSpecOptions, 'fileName'> = {}): Promise<ObjectSpec> {
  const bytes = await readFile(path);
  return parseObjectSpec(bytes, { ...options, fileName: path });
}
