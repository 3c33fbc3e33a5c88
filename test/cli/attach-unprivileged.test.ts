/**
 * The attach/events commands without privileges: one line saying what needs root, exit 1, no
 * stack trace (run as a throwaway unprivileged user).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect } from 'chai';
import { tracefsRoot } from '../../src/sys/index.js';
import { CLI, REPO_ROOT } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { UnprivilegedUser } from '../helpers/unprivileged-user.js';

const CGROUP2 = existsSync('/sys/fs/cgroup/unified/cgroup.procs') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup';

describe('attach/events commands without privileges', function () {
  this.timeout(120_000);
  let user: UnprivilegedUser | undefined;
  before(function () {
    requirePrivileges(this, 'root to create a throwaway user');
    if (!UnprivilegedUser.available()) this.skip();
    user = UnprivilegedUser.create();
    // trace_pipe's permission message needs a mounted tracefs (a fresh machine has none until
    // root mounts it, as `bpf-ts prog tracelog` as root would); the unmounted case is below.
    tracefsRoot();
  });
  after(() => user?.remove());

  const cases: Array<[string[], string]> = [
    [['net', 'show'], "Error: can't query prog: Operation not permitted (run as root: querying attached programs needs CAP_NET_ADMIN)\n"],
    [['cgroup', 'show', CGROUP2], `Error: can't query bpf programs attached to ${CGROUP2}: Operation not permitted (run as root: BPF_PROG_QUERY needs CAP_NET_ADMIN)\n`],
    [['prog', 'tracelog'], 'Error: could not open trace pipe: Permission denied (run as root: trace_pipe is readable by root only)\n'],
    [['link', 'detach', 'id', '1'], 'Error: failed to get link with ID 1: Operation not permitted (run as root: listing and opening BPF objects by id needs CAP_SYS_ADMIN)\n'],
    [['map', 'event_pipe', 'id', '1'], 'Error: get map by id (1): Operation not permitted (run as root: listing and opening BPF objects by id needs CAP_SYS_ADMIN)\n'],
  ];
  for (const [args, message] of cases) {
    it(`${args.join(' ')}: one line, exit 1`, function () {
      const r = (user as UnprivilegedUser).node([CLI, ...args], REPO_ROOT, { timeoutMs: 20_000 });
      expect([r.status, r.stderr, r.stdout]).to.deep.equal([1, message, '']);
    });
  }

  it('prog tracelog with no tracefs mounted: bpftool\'s note, then what to run as root, exit 1', function () {
    // A private mount namespace without tracefs (nor debugfs' tracing/) stands in for a fresh
    // machine; the host's mounts stay as they are.
    const name = (user as UnprivilegedUser).name;
    const script = 'for m in /sys/kernel/tracing /sys/kernel/debug; do umount -R "$m" 2>/dev/null; done; exec runuser -u "$0" -- "$1" "$2" prog tracelog';
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, name, process.execPath, CLI], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 20_000 });
    expect([r.status, r.stderr, r.stdout]).to.deep.equal([
      1,
      "could not find tracefs, attempting to mount it now\nError: tracefs is not mounted and mounting it needs root: mount it with 'mount -t tracefs nodev /sys/kernel/tracing' as root\n",
      '',
    ]);
  });

  it('perf show: bpftool\'s message and HINT line, exit 255 as bpftool', function () {
    const r = (user as UnprivilegedUser).node([CLI, 'perf', 'show'], REPO_ROOT, { timeoutMs: 20_000 });
    expect([r.status, r.stderr]).to.deep.equal([255, "Error: perf_query_support: Operation not permitted\nHINT: non root or kernel doesn't support TASK_FD_QUERY\n"]);
  });
});
