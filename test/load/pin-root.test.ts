import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadObject } from '../../src/loader/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { bpffsTempDir } from '../helpers/bpffs.js';
import { objectIds } from '../../src/sys/index.js';
import { newMapIds, settledSurvivors } from '../soak/census.js';

/** Mount points of every bpffs. */
function bpffsMounts(): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[2] === 'bpf')
    .map((f) => f[1] ?? '');
}

describe('loadObject: a pinRoot that does not exist yet', function () {
  before(function () {
    requirePrivileges(this);
  });

  // Regression: the directory was created and then a second bpffs mounted on it (two mounts, a
  // stray mount left after the test removed the pins, and pins hidden from the outer bpffs).
  it('is made as a directory on the enclosing bpffs, with no new mount', async () => {
    const parent = bpffsTempDir('bpfts-pinroot-');
    const pinRoot = join(parent, 'app', 'maps');
    const mapsBefore = new Set(objectIds('map'));
    try {
      using obj = await loadObject(join(BPF_DIR, 'soak', 'pinned.bpf.o'), { pinRoot });
      expect([...obj.pinnedMaps.values()].sort()).to.deep.equal([join(pinRoot, 'soak_pin_counts'), join(pinRoot, 'soak_pin_jumps')]);
      expect(bpffsMounts().filter((m) => m.startsWith(parent))).to.deep.equal([]);
      expect(readdirSync(pinRoot).sort()).to.deep.equal(['soak_pin_counts', 'soak_pin_jumps']);
      obj.unpinMaps();
    } finally {
      rmSync(parent, { recursive: true, force: true });
      // Its prog array is freed by deferred work; a census opening it by id before that leaks it.
      await settledSurvivors(newMapIds(mapsBefore), 3000);
    }
    expect(existsSync(parent)).to.equal(false);
  });
});
