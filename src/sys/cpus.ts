import { readFileSync } from 'node:fs';
import { BpfTsError } from '../errors/index.js';

/** Where the kernel lists the CPUs that are online. */
export const ONLINE_CPUS_PATH = '/sys/devices/system/cpu/online';
/** The CPU list the kernel sizes per-CPU map values by (`for_each_possible_cpu`). */
export const POSSIBLE_CPUS_PATH = '/sys/devices/system/cpu/possible';

/** A kernel CPU list file could not be read or parsed. */
export class CpuListError extends BpfTsError {
  constructor(
    /** The file (or description) the list came from. */
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${path}: ${message}`, options);
  }
}

/**
 * Parses a kernel CPU list (`0-3,8,10-11`) into CPU numbers, ascending. The kernel always lists
 * at least one CPU, so an empty list is an error.
 *
 * @example
 * ```ts
 * parseCpuList('0-2,4\n'); // [0, 1, 2, 4]
 * ```
 */
export function parseCpuList(text: string, path = 'cpu list'): number[] {
  const body = text.trim();
  if (body === '') throw new CpuListError(path, 'empty CPU list');
  const cpus: number[] = [];
  for (const part of body.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new CpuListError(path, `cannot parse '${part}' in '${body}'`);
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) throw new CpuListError(path, `range '${part}' runs backwards`);
    for (let c = first; c <= last; c++) cpus.push(c);
  }
  return cpus;
}

function readCpuList(path: string): number[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CpuListError(path, (e as Error).message, { cause: e });
  }
  return parseCpuList(text, path);
}

/**
 * The online CPUs, read each time (CPUs go on- and offline): per-CPU perf events are opened on
 * these, as libbpf does.
 *
 * @example
 * ```ts
 * for (const cpu of onlineCpus()) console.log(cpu);
 * ```
 */
export function onlineCpus(): number[] {
  return readCpuList(ONLINE_CPUS_PATH);
}

let possible: readonly number[] | undefined;

/**
 * The possible CPUs (read once; fixed at boot). A per-CPU map value holds one slot per possible
 * CPU, as libbpf's `libbpf_num_possible_cpus()` counts them.
 *
 * @example
 * ```ts
 * const slots = possibleCpus().length;
 * ```
 */
export function possibleCpus(): readonly number[] {
  possible ??= readCpuList(POSSIBLE_CPUS_PATH);
  return possible;
}
