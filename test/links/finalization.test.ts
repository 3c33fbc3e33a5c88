import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { slowdown } from '../helpers/kernel.js';

/**
 * Runs in a child with --expose-gc: attaches links, drops them without close(), collects them and
 * prints which were detached by the FinalizationRegistry.
 */
const CHILD = `
import { loadObjectSpec, loadObject } from ${JSON.stringify(join(REPO_ROOT, 'dist/src/loader/index.js'))};
import { attachRawTracepoint, attachSocketFilter } from ${JSON.stringify(join(REPO_ROOT, 'dist/src/links/index.js'))};
import { linkGetFdById } from ${JSON.stringify(join(REPO_ROOT, 'dist/src/sys/index.js'))};
import dgram from 'node:dgram';
const spec = await loadObjectSpec(${JSON.stringify(join(REPO_ROOT, 'bpf/links/counters.bpf.o'))});
const obj = await loadObject(spec, { programs: ['raw_sys_enter', 'socket_count'] });
let id = (() => attachRawTracepoint(obj.program('raw_sys_enter'), 'sys_enter').info().id)();
const sock = dgram.createSocket('udp4');
await new Promise((r) => sock.bind(0, '127.0.0.1', r));
const { socketFd } = await import(${JSON.stringify(join(REPO_ROOT, 'dist/src/links/index.js'))});
(() => { attachSocketFilter(obj.program('socket_count'), socketFd(sock)); })();
for (let i = 0; i < 10; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
let rawGone = false;
try { linkGetFdById(id).close(); } catch (e) { rawGone = e.name === 'ObjectNotFoundError'; }
// A socket filter that was detached can be detached again only with ENOENT: check via a second attach/detach cycle.
let filterGone = false;
try {
  const { native } = await import(${JSON.stringify(join(REPO_ROOT, 'dist/src/sys/index.js'))});
  native().setsockopt(socketFd(sock), 1, 27, new Uint8Array(4));
} catch (e) { filterGone = e.code === 'ENOENT'; }
sock.close();
obj.close();
console.log(JSON.stringify({ rawGone, filterGone }));
`;

describe('links: FinalizationRegistry', function () {
  before(function () {
    requirePrivileges(this);
  });

  it('links dropped without close() are detached when collected (bpf_link fd and SO_DETACH_BPF cleanup)', function () {
    this.timeout(20000 * slowdown()); // a child process's GC: ~20x slower under the kernel matrix's TCG
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD], { encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop() as string)).to.deep.equal({ rawGone: true, filterGone: true });
  });
});
