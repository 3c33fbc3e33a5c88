/**
 * Length of a name without its CO-RE "flavor" (`bpf_core_essential_name_len`): everything from
 * the LAST `X___Y` separator on is ignored, where X and Y are not underscores. So
 * `task_struct___mine` and `nf_conn___init` reduce to `task_struct` and `nf_conn`, while
 * `____fput` (no X before the underscores) stays whole.
 */
export function essentialNameLength(name: string): number {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return i + 1;
  }
  return name.length;
}

/**
 * The name CO-RE matches candidates by: `name` without its flavor suffix.
 *
 * @example
 * ```ts
 * essentialName('task_struct___mine'); // 'task_struct'
 * ```
 */
export function essentialName(name: string): string {
  return name.slice(0, essentialNameLength(name));
}
