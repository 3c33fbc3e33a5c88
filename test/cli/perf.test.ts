/**
 * `bpf-ts perf show` against `bpftool perf show`, on a child process the test keeps with a
 * tracepoint, a raw tracepoint, a uprobe and a uretprobe attached through our library: the same
 * lines and JSON objects for that process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { expect } from 'chai';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { BPFTOOL, run } from './attach-fixture.js';

const HOLDER = join(dirname(fileURLToPath(import.meta.url)), 'perf-holder.js');

describe('bpf-ts perf show vs bpftool', function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;
  let pid = 0;
  before(async function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
    const c = spawn(process.execPath, [HOLDER], { stdio: ['pipe', 'pipe', 'inherit'] });
    child = c;
    await new Promise<void>((resolve, reject) => {
      c.stdout?.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
      c.on('exit', (code) => reject(new Error(`perf holder exited with ${code}`)));
    });
    pid = c.pid as number;
  });
  after(async function () {
    if (child === undefined) return;
    const exited = new Promise((r) => child?.on('exit', r));
    child.stdin?.end();
    await exited;
  });

  it('plain: the child\'s four attachments, as bpftool lists them', function () {
    const ours = run('bpf-ts', ['perf', 'show']);
    const ref = run(BPFTOOL, ['perf', 'show']);
    expect(ours.status, ours.stderr).to.equal(0);
    const mine = (out: string): string[] => out.split('\n').filter((l) => l.startsWith(`pid ${pid} `));
    expect(mine(ours.stdout)).to.deep.equal(mine(ref.stdout));
    const lines = mine(ours.stdout).map((l) => l.replace(/fd \d+: prog_id \d+/, 'fd F: prog_id P'));
    expect(lines).to.have.members([
      `pid ${pid}  fd F: prog_id P  tracepoint  sys_enter_getppid`,
      `pid ${pid}  fd F: prog_id P  raw_tracepoint  sys_enter`,
      ...lines.filter((l) => /  uprobe  filename \/lib\/x86_64-linux-gnu\/libc\.so\.6  offset [1-9]\d*$/.test(l)),
      ...lines.filter((l) => /  uretprobe  filename \/lib\/x86_64-linux-gnu\/libc\.so\.6  offset [1-9]\d*$/.test(l)),
    ]);
    expect(lines.length).to.equal(4);
  });

  it('-j and -p: bpftool\'s objects for the child', function () {
    for (const opt of ['-j', '-p']) {
      const ours = run('bpf-ts', [opt, 'perf', 'show']);
      const ref = run(BPFTOOL, [opt, 'perf', 'show']);
      type Entry = { pid: number } & Record<string, unknown>;
      const mine = (out: string): Entry[] => (JSON.parse(out) as Entry[]).filter((e) => e.pid === pid);
      expect(mine(ours.stdout)).to.deep.equal(mine(ref.stdout));
      expect(mine(ours.stdout).map((e) => e['fd_type'])).to.have.members(['tracepoint', 'raw_tracepoint', 'uprobe', 'uretprobe']);
      if (opt === '-p') expect(ours.stdout).to.match(/^\[\{\n {8}"pid": /);
    }
  });
});
