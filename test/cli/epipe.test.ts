import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { CLI } from '../helpers/paths.js';

describe('bpf-ts CLI writing into a closed pipe', () => {
  it('stops quietly when the reader exits early (bpf-ts ... | head -n 1)', () => {
    // A dump much larger than a pipe buffer, so writes continue after `head` has gone.
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `"${CLI}" btf dump file /sys/kernel/btf/vmlinux format raw | head -n 1`], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    expect(r.stdout).to.match(/^\[1\] /);
    expect(r.stderr).to.equal('');
    expect(r.status).to.equal(0);
  });
});
