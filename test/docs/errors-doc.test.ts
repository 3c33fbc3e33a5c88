/**
 * docs/errors.md lists every error class a user can meet: a class added to src/ without a row
 * (or a note that it is internal) fails here.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

describe('docs/errors.md', function () {
  it('names every exported error class of src/', function () {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'errors.md'), 'utf8');
    const classes = new Set<string>();
    for (const file of sources(join(REPO_ROOT, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/^export class (\w+) extends (\w*Error)\b/gm)) classes.add(m[1] as string);
    }
    expect(classes.size).to.be.greaterThan(20);
    const missing = [...classes].filter((c) => !doc.includes(`\`${c}\``)).sort();
    expect(missing, 'error classes without a row in docs/errors.md').to.deep.equal([]);
  });
});
