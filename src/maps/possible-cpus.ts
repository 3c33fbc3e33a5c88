import { readFileSync } from 'node:fs';
import { BpfTsError } from '../errors/index.js';

/** The CPU list file the kernel sizes per-CPU map values by (`for_each_possible_cpu`). */
export const POSSIBLE_CPUS_PATH = '/sys/devices/system/cpu/possible';

/** `/sys/devices/system/cpu/possible` could not be read or parsed. */
export class PossibleCpusError extends BpfTsError {
  constructor(
    /** The file read. */
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${path}: ${message}`, options);
  }
}

/**
 * Counts the CPUs of a kernel CPU list (`0-3,8,10-11` -> 7), as libbpf's
 * `libbpf_num_possible_cpus()` does: per-CPU map values hold one slot per listed CPU.
 *
 * @example
 * ```ts
 * parseCpuList('0-1\n'); // 2
 * ```
 */
export function parseCpuList(text: string, path = 'cpu list'): number {
  const body = text.trim();
  if (body === '') throw new PossibleCpusError(path, 'empty CPU list');
  let count = 0;
  for (const part of body.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new PossibleCpusError(path, `cannot parse '${part}' in '${body}'`);
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) throw new PossibleCpusError(path, `range '${part}' runs backwards`);
    count += last - first + 1;
  }
  return count;
}

let cached: number | undefined;

/**
 * The number of possible CPUs (read once from {@link POSSIBLE_CPUS_PATH}): the number of value
 * slots a per-CPU map (`PERCPU_HASH`, `PERCPU_ARRAY`, `LRU_PERCPU_HASH`,
 * `PERCPU_CGROUP_STORAGE`) returns from a lookup.
 */
export function possibleCpus(): number {
  if (cached === undefined) {
    let text: string;
    try {
      text = readFileSync(POSSIBLE_CPUS_PATH, 'utf8');
    } catch (e) {
      throw new PossibleCpusError(POSSIBLE_CPUS_PATH, (e as Error).message, { cause: e });
    }
    cached = parseCpuList(text, POSSIBLE_CPUS_PATH);
  }
  return cached;
}
