import { BpfTsError } from '../errors/index.js';

/** What an event-buffer error is about, for messages and programmatic checks. */
export interface EventBufferContext {
  /** The map's name, when the buffer is backed by a map. */
  readonly map?: string;
  /** The CPU of a perf ring. */
  readonly cpu?: number;
}

/**
 * A ring buffer, user ring buffer or perf buffer cannot be set up or used as asked: the map has
 * the wrong type or size, a reservation does not fit, a sample is submitted twice. System call
 * failures are attached as `cause` (a `SysError`).
 *
 * @example
 * ```ts
 * try { RingBufferReader.open(hashMap) } catch (e) { if (e instanceof EventBufferError) console.error(e.message) }
 * ```
 */
export class EventBufferError extends BpfTsError {
  constructor(
    message: string,
    readonly context: EventBufferContext = {},
    options?: ErrorOptions,
  ) {
    super(context.map === undefined ? message : `map '${context.map}': ${message}`, options);
  }
}

/**
 * A record could not be turned into the value asked for: shorter than the BTF type it is decoded
 * as. `offset` is the record's position in the reader's data view.
 *
 * @example
 * ```ts
 * for await (const ev of reader.decoded(codec)) ... // throws RecordDecodeError on a short record
 * ```
 */
export class RecordDecodeError extends BpfTsError {
  constructor(
    message: string,
    readonly length: number,
    readonly expected: number,
  ) {
    super(message);
  }
}

