/** How much memory a value holds once built: heap, ArrayBuffers and RSS growth across a full GC. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Memory attributed to one value, in KiB. */
export interface HeldMemory {
  readonly heapKb: number;
  readonly externalKb: number;
  readonly rssKb: number;
}

function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

async function settle(gc: () => void): Promise<void> {
  // ArrayBuffer backing stores are released after the GC that finds them dead; give them a tick.
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Builds a value with `make`, keeps it alive, and reports what it holds. */
export async function heldMemory(make: () => unknown): Promise<HeldMemory> {
  const gc = collector();
  await settle(gc);
  const before = process.memoryUsage();
  const held = make();
  await settle(gc);
  const after = process.memoryUsage();
  if (held === undefined) throw new Error('heldMemory: make() returned nothing to hold');
  return {
    heapKb: Math.round((after.heapUsed - before.heapUsed) / 1024),
    externalKb: Math.round((after.arrayBuffers - before.arrayBuffers) / 1024),
    rssKb: Math.round((after.rss - before.rss) / 1024),
  };
}
