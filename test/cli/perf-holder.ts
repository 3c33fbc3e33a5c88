/**
 * A process for `perf show` tests: loads bpf/links/counters.bpf.o and holds a tracepoint, a raw
 * tracepoint, a uprobe and a uretprobe (on libc's getpid) attached through perf events / links
 * until its stdin closes. Prints `ready` once attached.
 */
import { attachRawTracepoint, attachTracepoint, attachUprobe, type Link } from '../../src/links/index.js';
import { loadObject } from '../../src/loader/index.js';
import { COUNTERS_OBJ } from '../links/fixture.js';

const obj = await loadObject(COUNTERS_OBJ, { programs: ['tp_getppid', 'raw_sys_enter', 'on_uprobe', 'on_uretprobe'] });
const prog = (name: string) => {
  const p = obj.program(name);
  if (p === undefined) throw new Error(`${name} missing`);
  return p;
};
const links: Link[] = [
  attachTracepoint(prog('tp_getppid'), 'syscalls', 'sys_enter_getppid'),
  attachRawTracepoint(prog('raw_sys_enter'), 'sys_enter'),
  attachUprobe(prog('on_uprobe'), { binary: '/lib/x86_64-linux-gnu/libc.so.6', symbol: 'getpid' }),
  attachUprobe(prog('on_uretprobe'), { binary: '/lib/x86_64-linux-gnu/libc.so.6', symbol: 'getpid', retprobe: true }),
];
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', () => {
  for (const l of links) l.close();
  obj.close();
});
