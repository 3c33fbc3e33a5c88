import { pinnedPaths } from '../sys/pin.js';
import { BpftoolMultiMap } from './bpftool-multimap.js';

/**
 * The `-f/--bpffs` table: pinned paths by object id in bpftool's order, or `undefined` without
 * `-f`. Like bpftool, it does not mount a bpffs: with none mounted, nothing is pinned.
 */
export function pinnedTable(enabled: boolean, kind: 'prog' | 'map' | 'link'): BpftoolMultiMap<string> | undefined {
  if (!enabled) return undefined;
  const table = new BpftoolMultiMap<string>();
  for (const { id, path } of pinnedPaths(kind)) table.append(id, path);
  return table;
}
