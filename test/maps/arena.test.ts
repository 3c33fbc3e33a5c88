import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { BpfMap } from '../../src/maps/index.js';
import { MapCreateFlag, MapType, native, probeMapType } from '../../src/sys/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { kernelAtLeast } from '../helpers/kernel.js';

const PROT_READ_WRITE = 0x3;
const MAP_SHARED = 0x1;

describe('maps: BPF_MAP_TYPE_ARENA (Linux 6.9+)', function () {
  before(function () {
    requirePrivileges(this);
  });

  it('before Linux 6.9 the kernel has no arena maps: the probe says so and creating one is refused', function () {
    if (kernelAtLeast(6, 9)) this.skip(); // arena maps exist here: the next test uses one
    expect(probeMapType(MapType.ARENA)).to.equal(false);
    expect(() => BpfMap.create({ type: MapType.ARENA, keySize: 0, valueSize: 0, maxEntries: 4, flags: MapCreateFlag.MMAPABLE, name: 'bpf_ts_arena' })).to.throw(/BPF_MAP_CREATE 'bpf_ts_arena' failed \(EINVAL\)/);
  });

  it('is created, mmap()s as MMAPABLE pages, and user-space page faults allocate arena memory', function () {
    if (!kernelAtLeast(6, 9)) this.skip(); // no arena maps before 6.9: the test above
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const pageSize = native().pageSize();
    const arena = BpfMap.create({ type: MapType.ARENA, keySize: 0, valueSize: 0, maxEntries: 4, flags: MapCreateFlag.MMAPABLE, name: 'bpf_ts_arena' });
    try {
      const info = arena.info();
      expect(info.type).to.equal(MapType.ARENA);
      expect(info.maxEntries).to.equal(4);
      expect(info.mapFlags).to.equal(MapCreateFlag.MMAPABLE);
      const pages = native().mmap(arena.fd.fd, 4 * pageSize, PROT_READ_WRITE, MAP_SHARED, 0);
      try {
        const view = new DataView(pages);
        // A fresh arena page reads as zero once the fault allocated it; writes stick.
        expect(view.getBigUint64(pageSize + 8, true)).to.equal(0n);
        view.setBigUint64(pageSize + 8, 0x1122334455667788n, true);
        expect(view.getBigUint64(pageSize + 8, true)).to.equal(0x1122334455667788n);
      } finally {
        native().munmap(pages);
      }
      // The arena is one user address range per map: a mapping of more pages than it has is refused.
      expect(() => native().mmap(arena.fd.fd, 8 * pageSize, PROT_READ_WRITE, MAP_SHARED, 0)).to.throw(Error).with.property('code');
    } finally {
      arena.close();
    }
    expect(readdirSync('/proc/self/fd').length).to.equal(fdsBefore);
  });
});
