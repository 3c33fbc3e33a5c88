import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAddon, NATIVE_FUNCTIONS, NativeAddonError } from '../../src/sys/index.js';
import { REPO_ROOT } from '../helpers/paths.js';

describe('loadAddon', function () {
  const built = join(REPO_ROOT, 'native', 'bpf-ts-sys.node');

  it('the built addon exports exactly the functions the TypeScript side declares', function () {
    const exported = Object.keys(createRequire(import.meta.url)(built) as object).sort();
    expect(exported).to.deep.equal([...NATIVE_FUNCTIONS].sort());
    expect(loadAddon(built).pageSize()).to.be.greaterThan(0);
  });

  it('refuses an addon built from older sources, naming what it lacks and how to rebuild', function () {
    const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-old-addon-'));
    try {
      const path = join(dir, 'old-addon.cjs');
      // What an addon built before bpfErrno/sysError existed looks like to the loader.
      const old = NATIVE_FUNCTIONS.filter((n) => n !== 'bpfErrno' && n !== 'sysError');
      writeFileSync(path, `module.exports = {${old.map((n) => `${n}() {}`).join(', ')}};`);
      let thrown: unknown;
      try {
        loadAddon(path);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).to.be.instanceOf(NativeAddonError);
      const err = thrown as NativeAddonError;
      expect(err.message).to.equal(`bpf-ts native addon ${path} is older than this bpf-ts (it lacks bpfErrno, sysError): run 'npm run build:native'`);
      expect(err.missing).to.deep.equal(['bpfErrno', 'sysError']);
      expect(err.path).to.equal(path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
