import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { isNativeError, mapFileReadOnly } from '../../src/sys/index.js';
import { kernelAtLeast } from '../helpers/kernel.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';

/** Lines of /proc/self/maps that map `path`. */
function mappingsOf(path: string): string[] {
  return readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.endsWith(` ${path}`));
}

describe('sys/file-map: read-only file mappings (kernel)', function () {
  it('maps /sys/kernel/btf/vmlinux read-only: the bytes of a read, and a mapping of the file in /proc/self/maps', function () {
    if (!kernelAtLeast(6, 16)) {
      // sysfs BTF has no mmap before 6.16 (btf_sysfs_vmlinux_mmap): the kernel's ENODEV, which
      // parseBtfFile answers by reading the file (the kernel matrix runs 6.1 and 6.12).
      expect(() => mapFileReadOnly(VMLINUX)).to.throw(/mmap/).with.property('code', 'ENODEV');
      return;
    }
    const mapped = mapFileReadOnly(VMLINUX);
    const read = readFileSync(VMLINUX);
    expect(mapped.length).to.equal(read.length);
    expect(Buffer.compare(Buffer.from(mapped.buffer, mapped.byteOffset, mapped.length), read)).to.equal(0);
    const lines = mappingsOf(VMLINUX);
    expect(lines, 'no mapping of vmlinux BTF').to.have.length.greaterThan(0);
    expect(lines.every((l) => l.split(/\s+/)[1] === 'r--p'), lines.join('\n')).to.equal(true);
  });

  it('a file the kernel cannot map is the native error (ENODEV for a sysfs text attribute), not a crash', function () {
    let caught: unknown;
    try {
      mapFileReadOnly('/sys/kernel/uevent_seqnum');
    } catch (e) {
      caught = e;
    }
    expect(isNativeError(caught), String(caught)).to.equal(true);
    expect((caught as { code: string }).code).to.equal('ENODEV');
    expect((caught as Error).message).to.contain('mmap');
  });
});
