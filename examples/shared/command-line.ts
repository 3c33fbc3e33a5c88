/**
 * The command line of the example tools: options parsed by `node:util`'s `parseArgs`, `-h`
 * printing the usage, and a {@link UsageError} for what `runTool` answers with the usage and
 * exit code 2 (as bcc's argparse tools do).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A bad command line: the tool prints the message and its usage, and exits with code 2. */
export class UsageError extends Error {}

/**
 * `parseArgs(config)` over `process.argv`, its errors as {@link UsageError}s. When the `help`
 * option (declare it: `help: { type: 'boolean', short: 'h', default: false }`) is given, prints
 * `usage` and exits with code 0.
 *
 * @example
 * ```ts
 * const { values } = parseToolArgs(USAGE, { options: { pid: { type: 'string', short: 'p' }, help: { type: 'boolean', short: 'h', default: false } } });
 * ```
 */
export function parseToolArgs<T extends ParseArgsConfig>(usage: string, config: T): ReturnType<typeof parseArgs<T>> {
  let parsed;
  try {
    parsed = parseArgs(config);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    console.log(usage);
    process.exit(0);
  }
  return parsed;
}

/** `text` as a whole number > 0 (`undefined` stays `undefined`); else a {@link UsageError} `invalid NAME: TEXT`. */
export function positiveInt(name: string, text: string): number;
export function positiveInt(name: string, text: string | undefined): number | undefined;
export function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n <= 0) throw new UsageError(`invalid ${name}: ${text}`);
  return n;
}
