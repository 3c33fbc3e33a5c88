import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

/** Every committed `.bpf.o` under bpf/ and examples/, as repository-relative paths, sorted. */
export function committedObjects(): string[] {
  const out: string[] = [];
  for (const top of ['bpf', 'examples']) {
    let entries: string[];
    try {
      entries = readdirSync(join(REPO_ROOT, top), { recursive: true, encoding: 'utf8' });
    } catch {
      continue;
    }
    for (const e of entries) if (e.endsWith('.bpf.o')) out.push(relative(REPO_ROOT, join(REPO_ROOT, top, e)));
  }
  return out.sort();
}
