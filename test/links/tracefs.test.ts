import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';

// The public entry: tracefsRoot comes from src/sys, kprobeUnavailableReason from src/links.
const LINKS = join(REPO_ROOT, 'dist/src/index.js');

/**
 * Runs `code` (an ES module body with `m` = the public API) in a private mount namespace where
 * tracefs is unmounted, optionally as nobody; returns its last output line.
 */
function withoutTracefs(code: string, asNobody: boolean): string {
  const node = `import(${JSON.stringify(LINKS)}).then((m) => { ${code} })`;
  const drop = asNobody ? `setpriv --reuid=65534 --regid=65534 --clear-groups ` : '';
  const script = `umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null; ${drop}${JSON.stringify(process.execPath)} --input-type=module -e '${node.replace(/'/g, "'\\''")}'`;
  const out = execFileSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8' });
  return out.trim().split('\n').pop() ?? '';
}

describe('links: tracefs on a machine without it', function () {
  before(function () {
    requirePrivileges(this);
    requireTool(this, '/usr/bin/unshare');
    requireTool(this, '/usr/bin/setpriv');
  });

  it('as root, tracefsRoot() mounts tracefs at /sys/kernel/tracing (in a private mount namespace here)', function () {
    const mounted = "readFileSync('/proc/self/mounts', 'utf8').includes(' tracefs ')";
    const out = withoutTracefs(
      `import('node:fs').then(({ readFileSync }) => { const before = ${mounted}; const root = m.tracefsRoot(); console.log(JSON.stringify({ before, root, after: ${mounted} })); });`,
      false,
    );
    expect(JSON.parse(out)).to.deep.equal({ before: false, root: '/sys/kernel/tracing', after: true });
  });

  it('without root, tracefsRoot() is a TracefsError saying what to run, and kprobes explain it too', function () {
    if (existsSync('/sys/bus/event_source/devices/kprobe')) this.skip();
    const out = withoutTracefs(
      "let a; try { m.tracefsRoot() } catch (e) { a = [e.name, e.message] } console.log(JSON.stringify({ a, k: m.kprobeUnavailableReason() }));",
      true,
    );
    const manual = "mount it with 'mount -t tracefs nodev /sys/kernel/tracing' as root";
    expect(JSON.parse(out)).to.deep.equal({
      a: ['TracefsError', `tracefs is not mounted and mounting it needs root: ${manual}`],
      k: `kprobe PMU not available (/sys/bus/event_source/devices/kprobe missing) and tracefs for the legacy kprobe_events interface is not available: tracefs is not mounted and mounting it needs root: ${manual}`,
    });
  });
});
