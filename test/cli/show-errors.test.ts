import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/paths.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { BPFTOOL, bpftoolRun, runCli } from '../sys/show-fixture.js';

/** Error paths of the show commands: the same message and exit status as bpftool. */
describe('cli: show errors match bpftool (kernel)', function () {
  let dir: string;

  before(function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
    dir = mkdtempSync(join(tmpdir(), 'bpfts-show-err-'));
    writeFileSync(join(dir, 'plain-file'), 'not a pin');
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cases: ReadonlyArray<readonly string[]> = [
    ['prog', 'show', 'id', '999999'],
    ['map', 'show', 'id', '999999'],
    ['link', 'show', 'id', '999999'],
    ['btf', 'show', 'id', '999999'],
    ['prog', 'show', 'id', 'abc'],
    ['map', 'show', 'id', '12x'],
    ['prog', 'show', 'foo'],
    ['prog', 'show', 'foo', 'bar'],
    ['map', 'show', 'foo', 'bar'],
    ['link', 'show', 'foo', 'bar'],
    ['btf', 'show', 'name', 'x'],
    ['prog', 'show', 'id', '1', 'extra'],
    ['prog', 'show', 'tag', 'xyz'],
    ['prog', 'show', 'name', 'no_such_program_anywhere'],
    ['map', 'show', 'name', 'no_such_map'],
    ['map', 'show', 'name', 'a_name_longer_than_15'],
    ['prog', 'show', 'pinned', '/sys/fs/bpf/bpfts-no-such-pin'],
  ];

  for (const args of cases) {
    for (const json of [false, true]) {
      const argv = json ? ['-j', ...args] : [...args];
      it(`${argv.join(' ')}: same output and exit status`, async () => {
        const ours = await runCli(argv);
        const ref = bpftoolRun(argv);
        expect({ code: ours.code, out: ours.out, err: ours.err }).to.deep.equal({ code: ref.code, out: ref.out, err: ref.err });
        expect(ours.code).to.not.equal(0);
      });
    }
  }

  it('says a path outside bpffs is not in a bpf file system', async () => {
    const argv = ['map', 'show', 'pinned', join(dir, 'plain-file')];
    const ours = await runCli(argv);
    expect(ours.err).to.equal(`Error: bpf obj get (${dir}): directory not in bpf file system (bpffs)\n`);
    const ref = bpftoolRun(argv);
    expect([ours.code, ours.err]).to.deep.equal([ref.code, ref.err]);
  });

  for (const object of ['prog', 'map', 'link', 'btf']) {
    it(`${object} show as an unprivileged user: one clear line on stderr, exit 1`, () => {
      let r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', CLI, object, 'show'], { encoding: 'utf8' });
      // A run started while another engineer's tsc rewrites dist/ fails to load; retry only that.
      for (let i = 0; i < 4 && /SyntaxError|does not provide an export named|Cannot find module/.test(r.stderr); i++) {
        spawnSync('sleep', ['1']);
        r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', CLI, object, 'show'], { encoding: 'utf8' });
      }
      expect(r.status).to.equal(1);
      expect(r.stdout).to.equal('');
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/^Error: can't get next (program|prog|map|link|BTF object): Operation not permitted \(run as root: listing and opening BPF objects by id needs CAP_SYS_ADMIN\)$/);
    });
  }
});
