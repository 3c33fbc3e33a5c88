import { readFile } from 'node:fs/promises';
import { strerror } from '../sys/strerror.js';
import { ObjectSpecError } from './errors.js';
import { parseObjectSpec, type ObjectSpec, type ParseObjectSpecOptions } from './object-spec.js';

/**
 * Reads a BPF object file and parses it with {@link parseObjectSpec}; the file name is used for
 * error messages and internal map names. The only file I/O of the spec half of the loader.
 * A file that cannot be read (missing, a directory, no permission) is an `ObjectSpecError`
 * naming the file and the reason, with the system error as `cause`.
 *
 * @example
 * ```ts
 * const spec = await loadObjectSpec('bpf/minimal.bpf.o');
 * console.log(spec.programs.map((p) => `${p.name} (${p.section})`));
 * ```
 */
export async function loadObjectSpec(path: string, options: Omit<ParseObjectSpecOptions, 'fileName'> = {}): Promise<ObjectSpec> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).errno;
    const reason = typeof errno === 'number' ? strerror(Math.abs(errno)) : (e as Error).message;
    throw new ObjectSpecError(reason, { fileName: path }, { cause: e });
  }
  return parseObjectSpec(bytes, { ...options, fileName: path });
}
