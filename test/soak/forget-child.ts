/**
 * Child of the finalizer test (resource.test.ts), run with `node --expose-gc`: loads
 * bpf/soak/cycle.bpf.o `count` times, attaches its program, opens a ring buffer reader, triggers
 * the program, and drops object, link and reader without close(). Then it forces collection until the FinalizationRegistry callbacks have run
 * and prints one JSON line: the fds and the kernel objects of the dropped handles that were alive
 * before the collection (all of them, or the test proves nothing) and after it (none).
 * Usage: node --expose-gc forget-child.js COUNT
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RingBufferReader } from '../../src/events/index.js';
import { attachTracepoint } from '../../src/links/index.js';
import { loadObject, loadObjectSpec } from '../../src/loader/index.js';
import { collectGarbage, emptyOwnIds, anonInodeFdCount, settledSurvivors, survivingIds, type OwnIds } from './census.js';
import { CYCLE_OBJ } from './resource-cycles.js';

/** Loads, attaches, opens a reader and triggers; returns nothing that holds a handle. */
async function loadAndDrop(ids: OwnIds): Promise<number> {
  const spec = await loadObjectSpec(CYCLE_OBJ);
  spec.variables.get('soak_tgid')?.set(process.pid);
  const obj = await loadObject(spec);
  const prog = obj.program('soak_cycle');
  const events = obj.map('soak_events');
  if (prog === undefined || events === undefined) throw new Error('cycle.bpf.o: program or map missing');
  const info = prog.info();
  const missesBefore = Number(info.recursionMisses);
  ids.prog.add(info.id);
  ids.btf.add(info.btfId);
  for (const m of obj.maps.values()) ids.map.add(m.info().id);
  const link = attachTracepoint(prog, 'syscalls', 'sys_enter_getppid');
  ids.link.add(link.info().id);
  const reader = RingBufferReader.open(events);
  // Until the record is read: a collection in between would (rightly) detach the link first.
  held.push(obj, link, reader);
  void process.ppid;
  let records = 0;
  reader.consume(() => {
    records++;
  });
  // A run the kernel skipped (another BPF program active on the CPU) has no record.
  const missed = Number(prog.info().recursionMisses) - missesBefore;
  held.length = 0;
  return records + missed;
}

/** Each open fd and what it is (for the message when one stays open). */
function fdTargets(): Map<string, string> {
  const out = new Map<string, string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      out.set(fd, readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the readdir's own fd
    }
  }
  return out;
}

/** The handles of the load being checked; emptied before the next. */
const held: unknown[] = [];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const count = Number(process.argv[2] ?? '20');
  if (!collectGarbage()) throw new Error('run with --expose-gc');
  // Warm-up that is closed properly: caches (kernel BTF, addon) are not what is measured.
  {
    using obj = await loadObject(CYCLE_OBJ);
    void obj;
  }
  collectGarbage();
  const fdsBaseline = anonInodeFdCount();
  const fdsAtBaseline = fdTargets();
  const ids = emptyOwnIds();
  let records = 0;
  const perLoad: number[] = [];
  // Records read, plus runs the kernel skipped and counted (recursion misses): one per load.
  for (let i = 0; i < count; i++) {
    const n = await loadAndDrop(ids);
    perLoad.push(n);
    records += n;
  }
  const fdsDropped = anonInodeFdCount();
  const aliveBefore = survivingIds(ids);
  // Finalizers run as tasks after a collection: collect, yield, until the fds are back.
  let rounds = 0;
  while (anonInodeFdCount() > fdsBaseline && rounds < 100) {
    collectGarbage();
    await new Promise((r) => setTimeout(r, 10));
    rounds++;
  }
  const aliveAfter = await settledSurvivors(ids);
  process.stdout.write(
    `${JSON.stringify({
      count,
      records,
      perLoad,
      fdsBaseline,
      fdsDropped,
      fdsAfter: anonInodeFdCount(),
      fdsNew: [...fdTargets()].filter(([fd, what]) => fdsAtBaseline.get(fd) !== what),
      gcRounds: rounds,
      created: { prog: ids.prog.size, map: ids.map.size, link: ids.link.size, btf: ids.btf.size },
      aliveBefore: Object.fromEntries(Object.entries(aliveBefore).map(([k, v]) => [k, v.length])),
      aliveAfter,
    })}\n`,
  );
}
