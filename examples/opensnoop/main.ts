/**
 * opensnoop: prints every open(2), openat(2) and openat2(2) as it returns, like bcc's opensnoop
 * (`PID COMM FD ERR PATH`). `-p PID` and `-c COMM` filter in the kernel through `.rodata`
 * constants set before load; `-x` keeps the failed opens only.
 *
 *   node dist/examples/opensnoop/main.js [-p PID] [-c COMM] [-x] [-d SECONDS]
 */
import { traceEventId } from '../../src/index.js';
import { parseToolArgs, positiveInt, UsageError } from '../shared/command-line.js';
import { runTool } from '../shared/run-tool.js';
// The typed skeleton of opensnoop.bpf.o, regenerated after changing the C with (from the repository root):
//   ./bin/bpf-ts gen skeleton examples/opensnoop/opensnoop.bpf.o --path=../../../examples/opensnoop/opensnoop.bpf.o \
//     --import ../../src/index.js --type events=event > examples/opensnoop/opensnoop.skel.ts
import { OpensnoopSkeleton, type Event } from './opensnoop.skel.js';

const USAGE = `Usage: opensnoop [-h] [-p PID] [-c COMM] [-x] [-d SECONDS]

Traces the open family of syscalls (open, openat, openat2).

  -p, --pid PID        only this process (thread group) id
  -c, --comm COMM      only tasks named exactly COMM (its first 15 characters, as the kernel keeps)
  -x, --failed         only failed opens
  -d, --duration SEC   stop after SEC seconds
  -h, --help           show this help`;

/** `TASK_COMM_LEN`: the kernel keeps 15 characters and a NUL. */
const TASK_COMM_LEN = 16;

interface Options {
  pid: number | undefined;
  comm: string | undefined;
  failed: boolean;
  duration: number | undefined;
}

function parseOptions(): Options {
  const { values } = parseToolArgs(USAGE, {
    options: {
      pid: { type: 'string', short: 'p' },
      comm: { type: 'string', short: 'c' },
      failed: { type: 'boolean', short: 'x', default: false },
      duration: { type: 'string', short: 'd' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.comm === '') throw new UsageError('invalid COMM: empty');
  return { pid: positiveInt('PID', values.pid), comm: values.comm, failed: values.failed, duration: positiveInt('duration', values.duration) };
}

/** bcc's `%-6d %-16s %3d %3d %s`: a failed open shows fd -1 and the errno. */
function formatEvent(e: Event): string {
  const fd = e.ret >= 0n ? Number(e.ret) : -1;
  const err = e.ret >= 0n ? 0 : Number(-e.ret);
  return `${String(e.pid).padEnd(6)} ${e.comm.padEnd(16)} ${String(fd).padStart(3)} ${String(err).padStart(3)} ${e.path}`;
}

runTool('opensnoop', USAGE, async (stop) => {
  const options = parseOptions();
  if (options.duration !== undefined) setTimeout(() => stop.abort(), options.duration * 1000).unref();

  using skel = OpensnoopSkeleton.open();
  if (options.pid !== undefined) skel.rodata.targ_tgid = options.pid;
  // The kernel compares the first TASK_COMM_LEN - 1 bytes and a NUL.
  if (options.comm !== undefined) skel.rodata.targ_comm = new TextDecoder().decode(Buffer.from(options.comm).subarray(0, TASK_COMM_LEN - 1));
  skel.rodata.targ_failed = options.failed;
  // open(2) is missing on newer architectures (arm64, riscv) and openat2(2) before Linux 5.6:
  // only the programs whose tracepoint this kernel has are loaded.
  for (const p of skel.spec.programs) {
    const tp = /^tracepoint\/([^/]+)\/(.+)$/.exec(p.section);
    if (tp === null) continue;
    try {
      traceEventId(tp[1]!, tp[2]!);
    } catch {
      p.autoload = false;
    }
  }
  skel.load().attach();
  using reader = skel.maps.events.open();
  const codec = skel.maps.events.codec;

  console.log(`${'PID'.padEnd(6)} ${'COMM'.padEnd(16)} ${'FD'.padStart(3)} ${'ERR'.padStart(3)} PATH`);
  for await (const e of reader.decoded(codec, { signal: stop.signal })) console.log(formatEvent(e));
});
