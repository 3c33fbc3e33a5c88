/**
 * Child of the SIGKILL-mid-load test (load-kill.test.ts): loads bpf/soak/pinned.bpf.o with its
 * maps pinned by name under PINROOT and stops for good (blocks its only thread) right after the
 * load's debug line number STOP, saying so on stdout; the parent then kills it with SIGKILL. The
 * debug lines mark the load's phases (maps created, each program loaded, prog-array slots
 * written), so STOP = 0, 1, ... kills the load at each phase boundary in turn. With a STOP past
 * the last line the load finishes, the child prints `loaded N` (N debug lines) and blocks.
 * Usage: node load-kill-child.js PINROOT STOP
 */
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadObject } from '../../src/loader/index.js';
import { BPF_DIR } from '../helpers/paths.js';

export const PINNED_OBJ = join(BPF_DIR, 'soak', 'pinned.bpf.o');

/** Blocks this thread until killed (Atomics.wait on a word nobody changes). */
function blockForever(): never {
  const word = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(word, 0, 0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [pinRoot, stopArg] = process.argv.slice(2) as [string, string];
  const stop = Number(stopArg);
  let line = 0;
  await loadObject(PINNED_OBJ, {
    pinRoot,
    debug: (text) => {
      if (line === stop) {
        writeSync(1, `stop ${line} ${JSON.stringify(text.split('\n')[0])}\n`);
        blockForever();
      }
      line++;
    },
  });
  writeSync(1, `loaded ${line}\n`);
  blockForever();
}
