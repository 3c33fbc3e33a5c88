/**
 * The prerequisites of a make-style dependency file as clang writes it with `-MD -MF`
 * (`target: dep dep \` continued lines, spaces in names escaped as `\ `).
 *
 * @example
 * ```ts
 * parseDepfile('a.o: a.c /usr/include/bpf/bpf_helpers.h \\\n  b.h\n'); // ['a.c', '/usr/include/bpf/bpf_helpers.h', 'b.h']
 * ```
 */
export function parseDepfile(text: string): string[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const colon = joined.search(/:(\s|$)/);
  const body = colon < 0 ? joined : joined.slice(colon + 1);
  const deps: string[] = [];
  let current = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === '\\' && body[i + 1] === ' ') {
      current += ' ';
      i++;
    } else if (c === '$' && body[i + 1] === '$') {
      current += '$';
      i++;
    } else if (/\s/.test(c)) {
      if (current !== '') deps.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (current !== '') deps.push(current);
  return deps;
}
