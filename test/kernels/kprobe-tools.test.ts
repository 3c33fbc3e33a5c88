/**
 * The seeds' kprobe tools (bpf/kprobe-tools/), run inside the kernel matrix's QEMU kernels where
 * kprobes attach, each proven to fire on the test's own action:
 * - hello: bcc's hello_world (kprobe on the clone syscall, bpf_printk) read back through
 *   TracePipeReader, for a shell the test starts to fork;
 * - opensnoop: a kprobe on do_sys_openat2 sending filenames (bpf_probe_read_user_str) through a
 *   ring buffer, for a uniquely named file the test opens;
 * - biolatency: kprobes on blk_mq_start_request and the completion function the kernel has,
 *   a log2 histogram of the latency of direct reads of null_blk's /dev/nullb0.
 *
 * Outside the VM (BPF_TS_VM_KERNEL unset) the suite is skipped: this machine has no kprobes.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RingBufferReader, TracePipeReader, type TraceLine } from '../../src/events/index.js';
import { formatLog2Histogram, readHistogram } from '../../src/histogram/index.js';
import { loadObject, loadObjectSpec, matchSection, type BpfObject, type BpfProgram } from '../../src/loader/index.js';
import { attachKprobe, autoAttach, kallsymsMatching, type Link } from '../../src/links/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { vmKernel } from '../helpers/kernel.js';

const TOOLS = join(BPF_DIR, 'kprobe-tools');

function program(obj: BpfObject, name: string): BpfProgram {
  const p = obj.program(name);
  if (p === undefined) throw new Error(`no program ${name}`);
  return p;
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

describe('kernel matrix: the seeds\' kprobe tools fire (only inside scripts/kernels/run.sh VMs: skipped where BPF_TS_VM_KERNEL is unset)', function () {
  before(function () {
    if (vmKernel() === undefined) this.skip();
  });

  it('hello (bcc hello_world): "Hello, World!" from the clone(2) of a shell we start, read through TracePipeReader', async function () {
    using obj = await loadObject(join(TOOLS, 'hello.bpf.o'));
    const p = program(obj, 'hello');
    using pipe = TracePipeReader.open();
    pipe.readAvailable(); // older lines are not ours
    let shellPid: number;
    {
      using link = autoAttach(p, matchSection(p.section)) as Link;
      expect(link.target).to.equal('__x64_sys_clone');
      // dash forks with glibc's fork(), which is clone(2) (not clone3) on x86-64.
      const shell = spawnSync('/bin/sh', ['-c', '/bin/true & wait']);
      expect(shell.status).to.equal(0);
      shellPid = shell.pid;
    }
    const ours: TraceLine[] = [];
    const deadline = Date.now() + 60_000;
    while (ours.length === 0 && Date.now() < deadline) {
      const line = await pipe.next({ timeoutMs: 2000 });
      if (line !== undefined && line.pid === shellPid) ours.push(line);
    }
    expect(ours, `a trace_pipe line from the shell (pid ${shellPid})`).to.have.length.greaterThan(0);
    expect(ours[0]!.message).to.equal('Hello, World!');
    expect(ours[0]!.task).to.equal('sh');
  });

  it('opensnoop: a kprobe on do_sys_openat2 reports the uniquely named file we open, through a ring buffer', async function () {
    const spec = await loadObjectSpec(join(TOOLS, 'opensnoop.bpf.o'));
    spec.variables.get('target_tgid')?.set(process.pid);
    using obj = await loadObject(spec);
    const p = program(obj, 'trace_open');
    const file = join(tmpdir(), `bpfts-opensnoop-${process.pid}-${Date.now().toString(36)}`);
    writeFileSync(file, 'x');
    const comm = readFileSync('/proc/self/comm', 'utf8').trim();
    using events = RingBufferReader.open(obj.map('events')!);
    try {
      {
        using _link = autoAttach(p, matchSection(p.section)) as Link;
        closeSync(openSync(file, 'r'));
      }
      const seen: { pid: number; comm: string; filename: string; dfd: number; flags: number }[] = [];
      const deadline = Date.now() + 60_000;
      while (!seen.some((e) => e.filename === file) && Date.now() < deadline) {
        await events.poll(
          (view, offset) => {
            const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, 16 + 16 + 256);
            seen.push({
              pid: view.getUint32(offset, true),
              dfd: view.getInt32(offset + 8, true),
              flags: view.getUint32(offset + 12, true),
              comm: cString(bytes.subarray(16, 32)),
              filename: cString(bytes.subarray(32)),
            });
          },
          { timeoutMs: 2000 },
        );
      }
      const ours = seen.find((e) => e.filename === file);
      expect(ours, `a record for ${file} among ${seen.length}`).to.not.equal(undefined);
      expect(ours!.pid).to.equal(process.pid);
      expect(ours!.comm).to.equal(comm);
      expect(ours!.flags & 3, 'O_RDONLY').to.equal(0);
      expect(seen.every((e) => e.pid === process.pid), 'only this process (target_tgid)').to.equal(true);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('biolatency: kprobes on blk_mq_start_request and the completion function histogram our direct reads of /dev/nullb0', async function () {
    if (!existsSync('/dev/nullb0')) throw new Error('/dev/nullb0 missing: run.sh loads null_blk (scripts/kernels/modules.txt)');
    using obj = await loadObject(join(TOOLS, 'biolatency.bpf.o'));
    // bcc's order of completion hooks; take the first this kernel lets a kprobe attach to (Debian's
    // 6.12 lists blk_account_io_done in kallsyms but refuses a kprobe there: EINVAL).
    let done: string | undefined;
    let doneLink: Link | undefined;
    const refused: string[] = [];
    for (const f of ['blk_account_io_done', '__blk_account_io_done', 'blk_mq_end_request']) {
      if (kallsymsMatching(f).length === 0) continue;
      try {
        doneLink = attachKprobe(program(obj, 'trace_done'), f);
        done = f;
        break;
      } catch (e) {
        refused.push(`${f}: ${(e as Error).message}`);
      }
    }
    if (doneLink === undefined || done === undefined) throw new Error(`no request completion function takes a kprobe: ${refused.join('; ')}`);
    const startProg = program(obj, 'trace_start');
    const reads = 16;
    try {
      using _start = autoAttach(startProg, matchSection(startProg.section)) as Link;
      execFileSync('dd', ['if=/dev/nullb0', 'of=/dev/null', 'bs=4096', `count=${reads}`, 'iflag=direct'], { stdio: 'ignore' });
    } finally {
      doneLink.close();
    }
    const counts = readHistogram(obj.map('hist')!);
    const total = counts.reduce((a, b) => a + b, 0n);
    console.log(`      biolatency (${done}):\n${formatLog2Histogram(counts, { valType: 'usecs' })}`);
    // Each direct read is one request on the otherwise idle null_blk device.
    expect(Number(total), `requests completed through ${done}`).to.be.at.least(reads);
    expect(counts[0], 'bcc\'s slot 0 is never used').to.equal(0n);
  });
});
