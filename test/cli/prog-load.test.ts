/**
 * `bpf-ts prog load|loadall` against `bpftool prog load|loadall` (test-only reference): the same
 * programs pinned under the same names with the same type and xlated size, maps pinned by
 * `pinmaps`, `type` and `map` options, and bpftool's error messages.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { BpfMap } from '../../src/maps/index.js';
import { getProgInfo, MapType, objGet, ProgType } from '../../src/sys/index.js';
import { BPF_DIR, CLI } from '../helpers/paths.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { bpffsTempDir } from '../helpers/bpffs.js';

const BPFTOOL = '/usr/sbin/bpftool';

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}
function run(cmd: string, args: readonly string[]): Run {
  const r = spawnSync(cmd === 'bpf-ts' ? process.execPath : cmd, cmd === 'bpf-ts' ? [CLI, ...args] : args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** name -> "type xlated" of every program pinned in `dir`. */
function pinnedPrograms(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    using fd = objGet(join(dir, name));
    const info = getProgInfo(fd);
    out[name] = `${info.type} ${info.xlatedProgLen / 8}`;
  }
  return out;
}

describe('bpf-ts prog load / loadall vs bpftool', function () {
  this.timeout(120_000);
  let root = '';
  before(function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
  });
  beforeEach(function () {
    root = bpffsTempDir('bpfts-cli-');
  });
  afterEach(function () {
    if (root !== '') rmSync(root, { recursive: true, force: true });
  });

  for (const rel of ['minimal.bpf.o', 'subprogs.bpf.o', 'load/tracer.bpf.o', 'elf-asm/programs.bpf.o', 'spec/loadable.bpf.o']) {
    it(`loadall ${rel}: same pinned programs as bpftool`, function () {
      const object = join(BPF_DIR, rel);
      const ours = run('bpf-ts', ['prog', 'loadall', object, join(root, 'ours')]);
      expect(ours.stderr).to.equal('');
      expect(ours.status).to.equal(0);
      const ref = run(BPFTOOL, ['prog', 'loadall', object, join(root, 'ref')]);
      expect(ref.status).to.equal(0);
      expect(pinnedPrograms(join(root, 'ours'))).to.deep.equal(pinnedPrograms(join(root, 'ref')));
    });
  }

  it('load pins only the first program at PATH, as bpftool does', function () {
    const object = join(BPF_DIR, 'subprogs.bpf.o');
    expect(run('bpf-ts', ['prog', 'load', object, join(root, 'ours')]).status).to.equal(0);
    expect(run(BPFTOOL, ['prog', 'load', object, join(root, 'ref')]).status).to.equal(0);
    using a = objGet(join(root, 'ours'));
    using b = objGet(join(root, 'ref'));
    const ia = getProgInfo(a);
    const ib = getProgInfo(b);
    expect([ia.name, ia.type, ia.xlatedProgLen]).to.deep.equal([ib.name, ib.type, ib.xlatedProgLen]);
  });

  it('type, pinmaps and -j: options in any order', function () {
    const object = join(BPF_DIR, 'subprogs.bpf.o');
    const ours = run('bpf-ts', ['-j', 'prog', 'loadall', object, join(root, 'ours'), 'pinmaps', join(root, 'ours_maps'), 'type', 'socket']);
    expect(ours.status).to.equal(0);
    expect(ours.stdout).to.equal('null\n');
    const ref = run(BPFTOOL, ['-j', 'prog', 'loadall', object, join(root, 'ref'), 'pinmaps', join(root, 'ref_maps'), 'type', 'socket']);
    expect(ref.stdout).to.equal(ours.stdout);
    expect(ref.status).to.equal(0);
    expect(readdirSync(join(root, 'ours_maps')).sort()).to.deep.equal(readdirSync(join(root, 'ref_maps')).sort());
    expect(pinnedPrograms(join(root, 'ours'))).to.deep.equal(pinnedPrograms(join(root, 'ref')));
    expect(Object.values(pinnedPrograms(join(root, 'ours'))).every((v) => v.startsWith(`${ProgType.SOCKET_FILTER} `))).to.equal(true);
  });

  it('map name NAME pinned FILE: the program uses the given map', function () {
    const object = join(BPF_DIR, 'load', 'tracer.bpf.o');
    using replacement = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 10240, name: 'starts' });
    replacement.pin(join(root, 'starts'));
    expect(run('bpf-ts', ['prog', 'load', object, join(root, 'ours'), 'map', 'name', 'starts', 'pinned', join(root, 'starts')]).status).to.equal(0);
    expect(run(BPFTOOL, ['prog', 'load', object, join(root, 'ref'), 'map', 'name', 'starts', 'pinned', join(root, 'starts')]).status).to.equal(0);
    for (const which of ['ours', 'ref']) {
      using fd = objGet(join(root, which));
      expect(getProgInfo(fd, { mapIds: true }).mapIds, which).to.include(replacement.id);
    }
  });

  for (const args of [
    ['prog', 'load', 'x.bpf.o'],
    ['prog', 'loadall', 'x.bpf.o'],
    ['prog', 'load', 'OBJ', 'PATH', 'foo'],
    ['prog', 'load', 'OBJ', 'PATH', 'map', 'idx', '0'],
  ]) {
    it(`error like bpftool: ${args.join(' ')}`, function () {
      const ours = run('bpf-ts', args);
      const ref = run(BPFTOOL, args);
      expect(ours.status).to.equal(ref.status);
      expect(ours.stderr.split('\n').filter((l) => l.startsWith('Error:'))).to.deep.equal(ref.stderr.split('\n').filter((l) => l.startsWith('Error:')));
    });
  }

  it('a verifier failure: exit 255, the source line on stderr, nothing pinned', function () {
    const r = run('bpf-ts', ['prog', 'load', join(BPF_DIR, 'load', 'bad_verify.bpf.o'), join(root, 'bad')]);
    expect(r.status).to.equal(255);
    expect(r.stderr).to.match(/program 'missing_null_check' rejected by the verifier at bad_verify\.bpf\.c:18/);
    expect(r.stderr).to.contain('Error: failed to load object file');
    expect(existsSync(join(root, 'bad'))).to.equal(false);
  });

  it('-d prints libbpf-style debug lines and the verifier log', function () {
    const r = run('bpf-ts', ['-d', 'prog', 'load', join(BPF_DIR, 'minimal.bpf.o'), join(root, 'm')]);
    expect(r.status).to.equal(0);
    expect(r.stderr).to.match(/^libbpf: loaded object BTF, fd=\d+$/m);
    expect(r.stderr).to.match(/^libbpf: prog 'accept_all': loaded \(2 insns\), fd=\d+$/m);
  });
});
