import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { LinkError } from './errors.js';
import { attachFailure } from './link-create.js';
import type { Link } from './link.js';
import { attachToPerfEvent, perfEventOpen, type PerfEventAttachOptions } from './perf-event-open.js';
import { programLabel, type AttachableProgram } from './program.js';
import { traceEventId } from './tracefs.js';
import { tracefsRoot } from '../sys/tracefs.js';

/** `PERF_TYPE_TRACEPOINT`: legacy probe events are tracepoints of the `kprobes`/`uprobes` groups. */
const PERF_TYPE_TRACEPOINT = 2;

let probeCounter = 0;

/**
 * A probe defined through tracefs (`kprobe_events`/`uprobe_events`), for kernels without the
 * probe PMUs (before 4.17): define `bpfts_<pid>_<n>`, open its tracepoint id, attach, and remove
 * the definition again when the link closes.
 *
 * @example
 * ```ts
 * using link = attachLegacyProbe(prog, 'uprobe', 'uprobe', '/bin/bash:0x1000', 'p:%EVENT% /bin/bash:0x1000', {});
 * ```
 */
export function attachLegacyProbe(
  program: AttachableProgram,
  family: 'kprobe' | 'uprobe',
  kind: string,
  target: string,
  definition: string,
  options: PerfEventAttachOptions & { readonly pid?: number },
): Link {
  const root = tracefsRoot();
  const file = join(root, `${family}_events`);
  const event = `bpfts_${process.pid}_${probeCounter++}`;
  const group = family === 'kprobe' ? 'kprobes' : 'uprobes';
  try {
    appendFileSync(file, `${definition.replace('%EVENT%', `${group}/${event}`)}\n`);
  } catch (e) {
    throw new LinkError(`defining a legacy ${family} in ${file} failed: ${(e as Error).message}`, { program: programLabel(program), target: `${kind} ${target}` }, { cause: e });
  }
  const remove = (): void => appendFileSync(file, `-:${group}/${event}\n`);
  let perf;
  try {
    const id = traceEventId(group, event);
    const pid = options.pid ?? -1;
    perf = perfEventOpen({ type: PERF_TYPE_TRACEPOINT, config: id }, pid, pid === -1 ? 0 : -1, `${kind} ${target}`);
  } catch (e) {
    remove();
    throw attachFailure(e, program, `${kind} ${target}`);
  }
  return attachToPerfEvent(program, perf, kind, target, options, [remove]);
}

