/**
 * What a soak checks is left after it: this process's open fds, and which of a set of kernel
 * object ids (the programs, maps, links and BTF objects the soak itself created, recorded as it
 * went) still exist. Ids, never global counts: other tests create objects meanwhile.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { objectIds, type BpfObjectKind } from '../../src/sys/index.js';

/** Open fds of this process (the readdir's own fd is counted in every call alike). */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * Open fds of the kinds the library creates (BPF objects, epoll, perf events: anon inodes). Node
 * opens others on its own schedule (a /dev/null for an ignored stdio, seen in a child of mocha).
 */
export function anonInodeFdCount(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('anon_inode:')) n++;
    } catch {
      // the readdir's own fd
    }
  }
  return n;
}

/** The ids the soak created, by kind. */
export type OwnIds = Record<BpfObjectKind, Set<number>>;

export function emptyOwnIds(): OwnIds {
  return { prog: new Set(), map: new Set(), link: new Set(), btf: new Set() };
}

/** Which of `ids` the kernel still has, by kind. */
export function survivingIds(ids: OwnIds): Record<BpfObjectKind, number[]> {
  const out: Record<BpfObjectKind, number[]> = { prog: [], map: [], link: [], btf: [] };
  for (const kind of Object.keys(out) as BpfObjectKind[]) {
    const mine = ids[kind];
    if (mine.size === 0) continue;
    for (const id of objectIds(kind)) if (mine.has(id)) out[kind].push(id);
  }
  return out;
}

/**
 * {@link survivingIds}, given up to `ms` for the kernel to free closed objects (maps, BTF and
 * programs are freed from deferred work after the last reference goes).
 */
export async function settledSurvivors(ids: OwnIds, ms = 5000): Promise<Record<BpfObjectKind, number[]>> {
  const until = Date.now() + ms;
  for (;;) {
    const left = survivingIds(ids);
    const n = left.prog.length + left.map.length + left.link.length + left.btf.length;
    if (n === 0 || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Map ids the kernel lists now that are not in `before`, as {@link OwnIds}: for waiting until a
 * test's maps are freed without opening any of them by id. Opening a prog array by id while the
 * kernel's deferred clear of its slots is pending makes 6.18 leak it (docs/soak.md), so a test
 * that drops a pinned prog array waits for it this way before the next test walks ids.
 */
export function newMapIds(before: ReadonlySet<number>): OwnIds {
  const ids = emptyOwnIds();
  for (const id of objectIds('map')) if (!before.has(id)) ids.map.add(id);
  return ids;
}

/** Resident set size in bytes (`/proc/self/statm` through Node). */
export function rss(): number {
  return process.memoryUsage.rss();
}

/** Runs the collector when the process was started with `--expose-gc`; says whether it could. */
export function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return false;
  gc();
  gc();
  return true;
}

/**
 * Allocates and drops ~200 MiB of small arrays, so that every page of the (fixed-size) young
 * generation has been touched before a baseline RSS is taken: RSS counts only touched pages, and
 * a young generation filling up for the first time reads as growth.
 */
export function touchYoungGeneration(): void {
  let keep = 0;
  for (let i = 0; i < 200_000; i++) keep += new Array<number>(128).fill(i).length;
  if (keep === 0) throw new Error('unreachable');
  collectGarbage();
}
