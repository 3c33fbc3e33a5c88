import { pinnedPaths } from '../sys/index.js';

/**
 * The `-f/--bpffs` table: pinned paths by object id, or `undefined` without `-f`. bpftool keeps
 * them in a hash map that prepends, so an object pinned twice lists its paths newest-walked
 * first; we keep that order.
 */
export function pinnedTable(enabled: boolean, kind: 'prog' | 'map' | 'link'): ReadonlyMap<number, readonly string[]> | undefined {
  if (!enabled) return undefined;
  const table = pinnedPaths(kind);
  for (const paths of table.values()) paths.reverse();
  return table;
}
