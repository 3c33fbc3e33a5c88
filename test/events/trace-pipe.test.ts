import { mkdtempSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { AttrWriter, OwnedFd, TracefsError, mountTracefs, native, tracefsMounts, tracefsRoot } from '../../src/sys/index.js';
import { TracePipeReader, parseTraceLine, type TraceLine } from '../../src/events/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { loadProducers } from './producers.js';

const PERF_TYPE_TRACEPOINT = 2;
const PERF_EVENT_IOC_ENABLE = 0x2400;
const PERF_EVENT_IOC_SET_BPF = 0x40042408;
const MNT_DETACH = 2;

/** Attaches `progFd` to a tracepoint for this process only (perf_event_open + PERF_EVENT_IOC_SET_BPF). */
function attachTracepoint(tracefs: string, category: string, name: string, progFd: number): OwnedFd {
  const id = Number(readFileSync(join(tracefs, 'events', category, name, 'id'), 'utf8'));
  const attr = new AttrWriter(64).u32(0, PERF_TYPE_TRACEPOINT).u32(4, 64).u64(8, id).u64(16, 1).u32(48, 1).bytes;
  const fd = new OwnedFd(native().perfEventOpen(attr, 0, -1, -1, 8), `tracepoint ${category}/${name}`);
  native().ioctl(fd.fd, PERF_EVENT_IOC_SET_BPF, progFd);
  native().ioctl(fd.fd, PERF_EVENT_IOC_ENABLE, 0);
  return fd;
}

describe('events: trace_pipe lines (pure)', () => {
  it('parses bpf_printk lines as bcc does, with and without the tgid column', () => {
    expect(parseTraceLine('           <...>-1234    [001] d..31  5678.123456: bpf_trace_printk: hello: world')).to.deep.equal({
      task: '<...>',
      pid: 1234,
      cpu: 1,
      flags: 'd..31',
      timestamp: 5678.123456,
      source: 'bpf_trace_printk',
      message: 'hello: world',
      raw: '           <...>-1234    [001] d..31  5678.123456: bpf_trace_printk: hello: world',
    });
    const withTgid = parseTraceLine('   my task-name-77   (     70) [000] .... 1.000001: bpf_trace_printk: x');
    expect(withTgid).to.include({ task: 'my task-name', pid: 77, tgid: 70, cpu: 0, flags: '....', message: 'x' });
    expect(parseTraceLine('  kworker/0:1-9   ( ------) [000] .N.1. 2.5: bpf_trace_printk: ')).to.include({ task: 'kworker/0:1', pid: 9, message: '' });
    expect(parseTraceLine('CPU:1 [LOST 3 EVENTS]')).to.equal(undefined);
    expect(parseTraceLine('')).to.equal(undefined);
  });

  it('finds tracefs mounts in /proc/mounts text', () => {
    expect(tracefsMounts('sysfs /sys sysfs rw 0 0\nnodev /sys/kernel/tracing tracefs rw 0 0\nt /a\\040b tracefs rw 0 0\n')).to.deep.equal([
      '/sys/kernel/tracing',
      '/a b',
    ]);
  });
});

describe('events: TracePipeReader', function () {
  this.timeout(20000);
  before(function () {
    requirePrivileges(this);
  });

  it('reads the bpf_printk of a tracepoint program without blocking the event loop', async () => {
    const fds = readdirSync('/proc/self/fd').length;
    {
      const tracefs = tracefsRoot();
      using obj = await loadProducers();
      using pipe = TracePipeReader.open();
      expect(pipe.path).to.equal(join(tracefs, 'trace_pipe'));
      pipe.readAvailable(); // older lines of other programs
      using link = attachTracepoint(tracefs, 'syscalls', 'sys_enter_getppid', obj.program('printk_getppid')!.fd);
      let ticks = 0;
      const timer = setInterval(() => ticks++, 2);
      setTimeout(() => void process.ppid, 30);
      const ac = new AbortController();
      const giveUp = setTimeout(() => ac.abort(), 10000);
      let mine: TraceLine | undefined;
      for await (const line of pipe.lines({ signal: ac.signal })) {
        if (line.pid === process.pid && line.message.includes('bpf-ts printk')) {
          mine = line;
          break;
        }
      }
      clearTimeout(giveUp);
      clearInterval(timer);
      expect(mine).to.include({ source: 'bpf_trace_printk', message: `bpf-ts printk pid=${process.pid} magic=${0xb9f75}` });
      expect(mine!.cpu).to.be.at.least(0);
      expect(mine!.timestamp).to.be.greaterThan(0);
      expect(ticks, 'timers ran while the pipe was waited on').to.be.greaterThan(0);
      // The program runs for every task that calls getppid (BPF on a tracepoint ignores the perf
      // event's task), so only lines with our pid are ours; once detached, none come.
      link.close();
      pipe.readAvailable();
      void process.ppid;
      const after = await pipe.next({ timeoutMs: 50 });
      expect(after === undefined || !after.message.includes(`pid=${process.pid} magic`)).to.equal(true);
    }
    expect(readdirSync('/proc/self/fd').length).to.equal(fds);
  });

  it('close() ends a pending wait, abort rejects it', async () => {
    const pipe = TracePipeReader.open();
    pipe.readAvailable();
    const ac = new AbortController();
    const aborted = pipe.next({ signal: ac.signal });
    ac.abort(new Error('enough'));
    let err: unknown;
    try {
      await aborted;
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).to.equal('enough');
    const pending = pipe.next();
    setTimeout(() => pipe.close(), 10);
    const r = await pending;
    expect(r === undefined || typeof r.raw === 'string').to.equal(true);
    expect(pipe.closed).to.equal(true);
    expect(await pipe.next()).to.equal(undefined);
    expect(pipe.readAvailable()).to.deep.equal([]);
  });

  it('mounts tracefs where asked, and says what to do when that fails (TracefsError)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-tracefs-'));
    try {
      mountTracefs(dir);
      try {
        expect(readdirSync(dir)).to.include('trace_pipe');
        using pipe = TracePipeReader.open({ tracefs: dir });
        expect(pipe.path).to.equal(join(dir, 'trace_pipe'));
      } finally {
        native().umount(dir, MNT_DETACH);
      }
    } finally {
      rmdirSync(dir);
    }
    const missing = join(tmpdir(), 'bpf-ts-no-such-dir');
    expect(() => mountTracefs(missing))
      .to.throw(TracefsError, `tracefs is not mounted and mounting it at ${missing} failed (ENOENT); as root, run: mount -t tracefs nodev ${missing}`)
      .with.property('path', missing);
    expect(() => TracePipeReader.open({ tracefs: missing }))
      .to.throw(TracefsError, `cannot open ${missing}/trace_pipe: ENOENT: no such file or directory, open '${missing}/trace_pipe'`);
  });
});
