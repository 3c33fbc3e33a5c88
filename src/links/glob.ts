/**
 * A RegExp for a shell-style glob (`*`, `?`), as libbpf's `glob_match()` for kprobe.multi and
 * uprobe.multi patterns.
 *
 * @example
 * ```ts
 * globRegExp('tcp_v4_*').test('tcp_v4_connect'); // true
 * ```
 */
export function globRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}
