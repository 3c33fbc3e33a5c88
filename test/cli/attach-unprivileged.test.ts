/**
 * The attach/events commands without privileges: one line saying what needs root, exit 1, no
 * stack trace (run as a throwaway unprivileged user).
 */
import { existsSync } from 'node:fs';
import { expect } from 'chai';
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

  it('perf show: bpftool\'s message and HINT line, exit 255 as bpftool', function () {
    const r = (user as UnprivilegedUser).node([CLI, 'perf', 'show'], REPO_ROOT, { timeoutMs: 20_000 });
    expect([r.status, r.stderr]).to.deep.equal([255, "Error: perf_query_support: Operation not permitted\nHINT: non root or kernel doesn't support TASK_FD_QUERY\n"]);
  });
});
