/** What the `bpf-ts run`/`load` tests share: the test object and the calls that trigger it. */
import { join } from 'node:path';
import { BPF_DIR } from '../helpers/paths.js';

/** The object whose `on_kill` program sees every kill(2) (bpf/run/kill_events.bpf.c). */
export const KILL_OBJ = join(BPF_DIR, 'run', 'kill_events.bpf.o');
/** Its source, for the compile-on-run path. */
export const KILL_SRC = join(BPF_DIR, 'run', 'kill_events.bpf.c');

/**
 * kill(target, 0) from this process for each target: pids that do not exist, so the call enters
 * the tracepoint and fails with ESRCH without signalling anyone.
 */
export function kills(targets: readonly number[]): void {
  for (const t of targets) {
    try {
      process.kill(t, 0);
    } catch {
      // ESRCH: expected
    }
  }
}
