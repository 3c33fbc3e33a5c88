/**
 * Child process of the concurrent ring buffer test: opens the `produce` program by id and runs it
 * `rounds` times with `count` records each, while the parent reads. Prints the records attempted.
 * Usage: node produce-child.js <prog id> <rounds> <count>
 */
import { fileURLToPath } from 'node:url';
import { ProgType, progGetFdById } from '../../src/sys/index.js';
import { BpfProgram } from '../../src/loader/index.js';

// Mocha loads every file of a test directory: only act when run as the entry point.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [id, rounds, count] = process.argv.slice(2).map(Number) as [number, number, number];
  const prog = new BpfProgram(progGetFdById(id), { name: 'produce', section: 'syscall', type: ProgType.SYSCALL, expectedAttachType: 0, attachBtfId: 0, log: '' });
  let next = 0n;
  for (let r = 0; r < rounds; r++) {
    const ctx = new Uint8Array(24);
    const v = new DataView(ctx.buffer);
    v.setBigUint64(0, next, true);
    v.setUint32(8, count, true);
    v.setUint32(12, 7, true); // discard every 7th
    prog.testRun({ ctx });
    next += BigInt(count);
  }
  prog.close();
  process.stdout.write(`${next}\n`);
}
