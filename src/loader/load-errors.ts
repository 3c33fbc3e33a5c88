import { BpfTsError } from '../errors/index.js';

/** Where in a load a problem happened; every field is optional context. */
export interface LoadErrorContext {
  /** The object file (`ObjectSpec.fileName`). */
  readonly fileName?: string | undefined;
  /** The program being relocated or loaded. */
  readonly program?: string | undefined;
  /** The map being created, pinned or filled. */
  readonly map?: string | undefined;
  /** The extern being resolved. */
  readonly extern?: string | undefined;
  /** Instruction index inside the linked program. */
  readonly insnIndex?: number | undefined;
}

/**
 * Loading an object failed outside the verifier: a map the kernel refused, a relocation whose
 * target is missing, an extern the kernel lacks, an attach target not in kernel BTF. The message
 * names the file, program or map: `maps.bpf.o: map 'counts': BPF_MAP_CREATE failed: EINVAL`.
 *
 * @example
 * ```ts
 * try { await loadObject('x.bpf.o') } catch (e) {
 *   if (e instanceof LoadError) console.error(e.program ?? e.map, e.reason);
 * }
 * ```
 */
export class LoadError extends BpfTsError {
  readonly fileName: string | undefined;
  readonly program: string | undefined;
  readonly map: string | undefined;
  readonly extern: string | undefined;
  readonly insnIndex: number | undefined;
  /** The description without the file/program/map prefix. */
  readonly reason: string;

  constructor(reason: string, context: LoadErrorContext = {}, options?: ErrorOptions) {
    const where: string[] = [];
    if (context.fileName !== undefined) where.push(context.fileName);
    if (context.program !== undefined) where.push(`program '${context.program}'`);
    if (context.map !== undefined) where.push(`map '${context.map}'`);
    if (context.extern !== undefined) where.push(`extern '${context.extern}'`);
    super(`${where.length > 0 ? `${where.join(': ')}: ` : ''}${reason}`, options);
    this.fileName = context.fileName;
    this.program = context.program;
    this.map = context.map;
    this.extern = context.extern;
    this.insnIndex = context.insnIndex;
    this.reason = reason;
  }

  /** The same error with the file name added (phases run without knowing it). */
  withFile(fileName: string | undefined): LoadError {
    if (fileName === undefined || this.fileName !== undefined) return this;
    return new LoadError(this.reason, { fileName, program: this.program, map: this.map, extern: this.extern, insnIndex: this.insnIndex }, { cause: this.cause ?? this });
  }
}

/**
 * A map pinned by name exists but differs from the object's definition (libbpf's
 * `map_is_reuse_compat()` said no). `differences` lists each mismatch as `field: pinned vs spec`.
 */
export class MapPinMismatchError extends LoadError {
  constructor(
    map: string,
    /** The pin path. */
    readonly path: string,
    readonly differences: readonly string[],
    fileName?: string,
  ) {
    super(`pinned map at ${path} is incompatible (${differences.join(', ')})`, { map, fileName });
  }

  override withFile(fileName: string | undefined): LoadError {
    if (fileName === undefined || this.fileName !== undefined) return this;
    return new MapPinMismatchError(this.map ?? '', this.path, this.differences, fileName);
  }
}
