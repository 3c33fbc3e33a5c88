import { readFileSync } from 'node:fs';
import { EventBufferError } from './errors.js';

/** Where the kernel lists the CPUs that are online. */
export const ONLINE_CPUS_PATH = '/sys/devices/system/cpu/online';

/**
 * Parses a kernel CPU list (`0-3,5,7-8`) into CPU numbers, ascending.
 *
 * @example
 * ```ts
 * cpuList('0-2,4'); // [0, 1, 2, 4]
 * ```
 */
export function cpuList(text: string): number[] {
  const out: number[] = [];
  const body = text.trim();
  for (const part of body === '' ? [] : body.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) throw new EventBufferError(`cannot parse CPU list '${body}' at '${part}'`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new EventBufferError(`cannot parse CPU list '${body}' at '${part}'`);
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}

/**
 * The online CPUs (`/sys/devices/system/cpu/online`): perf buffers open one event per online CPU,
 * as libbpf does (an offline CPU has no event to open).
 *
 * @example
 * ```ts
 * for (const cpu of onlineCpus()) console.log(cpu);
 * ```
 */
export function onlineCpus(): number[] {
  return cpuList(readFileSync(ONLINE_CPUS_PATH, 'utf8'));
}
