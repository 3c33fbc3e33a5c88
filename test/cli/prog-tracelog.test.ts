/**
 * `bpf-ts prog tracelog`: a bpf_printk the test triggers (the `say` syscall program run with a
 * marker it chose) shows up on stdout, verbatim or as a JSON array of lines; SIGINT and SIGTERM
 * end it with exit code 0 (and a closed JSON array).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { expect } from 'chai';
import { loadObject, type BpfObject, type BpfProgram } from '../../src/loader/index.js';
import { CLI } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { CLI_OBJ } from './attach-fixture.js';

interface Streamed {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exit: Promise<number | null>;
}

function startTracelog(options: readonly string[]): Streamed {
  const child = spawn(process.execPath, [CLI, ...options, 'prog', 'tracelog'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

function say(program: BpfProgram, magic: bigint): void {
  const ctx = new Uint8Array(8);
  new DataView(ctx.buffer).setBigUint64(0, magic, true);
  program.testRun({ ctx });
}

/**
 * Triggers the printk until the marker is read (another reader of trace_pipe, such as a test
 * running at the same time, may consume single lines), for up to 10 s.
 */
async function triggerUntilSeen(t: Streamed, program: BpfProgram, marker: string, magic: bigint): Promise<void> {
  for (let i = 0; i < 100 && !t.stdout().includes(marker); i++) {
    say(program, magic);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('bpf-ts prog tracelog', function () {
  this.timeout(60_000);
  let obj: BpfObject | undefined;
  let program: BpfProgram;
  before(async function () {
    requirePrivileges(this);
    obj = await loadObject(CLI_OBJ);
    const p = obj.program('say');
    if (p === undefined) throw new Error('say missing');
    program = p;
  });
  after(() => obj?.close());

  it('prints the bpf_printk line the test caused; SIGINT exits 0', async function () {
    const magic = BigInt(randomInt(1, 2 ** 47));
    const marker = `bpf_trace_printk: bpf-ts cli magic=${magic}\n`;
    const t = startTracelog([]);
    try {
      await triggerUntilSeen(t, program, marker, magic);
    } finally {
      t.child.kill('SIGINT');
    }
    expect(await t.exit).to.equal(0);
    expect(t.stderr()).to.equal('');
    const line = t.stdout().split('\n').find((l) => l.includes(`magic=${magic}`));
    // The kernel's trace line: task-pid [cpu] flags timestamp: bpf_trace_printk: message.
    expect(line).to.match(new RegExp(`^\\s*\\S.*-\\d+\\s+\\[\\d+\\] \\S+\\s+\\d+\\.\\d+: bpf_trace_printk: bpf-ts cli magic=${magic}$`));
  });

  it('-j: a JSON array of the lines, closed on SIGTERM', async function () {
    const magic = BigInt(randomInt(1, 2 ** 47));
    const t = startTracelog(['-j']);
    try {
      await triggerUntilSeen(t, program, `magic=${magic}`, magic);
    } finally {
      t.child.kill('SIGTERM');
    }
    expect(await t.exit).to.equal(0);
    const lines = JSON.parse(t.stdout()) as string[];
    expect(t.stdout().endsWith(']\n')).to.equal(true);
    const mine = lines.filter((l) => l.includes(`bpf-ts cli magic=${magic}`));
    expect(mine.length).to.be.greaterThan(0);
    for (const l of mine) expect(l.endsWith(`magic=${magic}\n`)).to.equal(true);
  });

  it('refuses extra words', async function () {
    const { runCli } = await import('../helpers/cli.js');
    const r = await runCli(['prog', 'tracelog', 'now']);
    expect([r.code, r.err]).to.deep.equal([255, "Error: what is 'now'?\n"]);
  });
});
