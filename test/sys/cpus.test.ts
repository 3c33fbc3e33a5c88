import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { CpuListError, onlineCpus, parseCpuList, possibleCpus } from '../../src/sys/index.js';

describe('sys: CPU lists', () => {
  it('parses kernel CPU lists into ascending CPU numbers', () => {
    expect(parseCpuList('0\n')).to.deep.equal([0]);
    expect(parseCpuList('0-3,8,10-11\n')).to.deep.equal([0, 1, 2, 3, 8, 10, 11]);
  });

  it('reads the online and possible CPUs from sysfs (libbpf counts possible CPUs the same way)', () => {
    // Node counts the online CPUs itself (sched_getaffinity/sysconf), independently of the list file.
    expect(onlineCpus().length).to.equal(cpus().length);
    expect(possibleCpus()).to.deep.equal(parseCpuList(readFileSync('/sys/devices/system/cpu/possible', 'utf8')));
    expect(possibleCpus().length).to.be.at.least(onlineCpus().length);
  });

  it('refuses malformed lists with CpuListError naming the file', () => {
    expect(() => parseCpuList('0-x', 'f')).to.throw(CpuListError, "f: cannot parse '0-x' in '0-x'");
    expect(() => parseCpuList('3-1', 'f')).to.throw(CpuListError, "f: range '3-1' runs backwards");
    expect(() => parseCpuList('  ', 'f')).to.throw(CpuListError, 'f: empty CPU list');
  });
});
