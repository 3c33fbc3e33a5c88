/**
 * hello: bcc's hello world without bcc. The BPF C below is compiled at run time with the system
 * clang (`compile()`, cached by content hash) against a vmlinux.h made from the running kernel's
 * BTF; its bpf_printk() lines are streamed from trace_pipe, as bcc's `trace_print()` does.
 *
 *   node dist/examples/hello/main.js
 */
import { attachObject, compileObjectSpec, loadObject, TracePipeReader } from '../../src/index.js';
import { parseToolArgs } from '../shared/command-line.js';
import { runTool } from '../shared/run-tool.js';

const USAGE = `Usage: hello

Says hello from the kernel on every execve(2), with the file being executed, and prints the
kernel's trace_pipe as it comes (bpf_printk output of every BPF program on the system).
Needs clang on PATH (the BPF C is compiled at start, then cached).

  -h, --help   show this help`;

/** The BPF side, as bcc's `BPF(text=...)` would take it. */
const PROGRAM = String.raw`
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* execve(const char *filename, ...) */
SEC("tp/syscalls/sys_enter_execve")
int hello(struct trace_event_raw_sys_enter *ctx)
{
	char file[64];

	if (bpf_probe_read_user_str(file, sizeof(file), (const char *)ctx->args[0]) < 0)
		file[0] = 0;
	bpf_printk("Hello, World! execve %s", file);
	return 0;
}
`;

runTool('hello', USAGE, async (stop) => {
  parseToolArgs(USAGE, { options: { help: { type: 'boolean', short: 'h', default: false } } });

  const { spec } = await compileObjectSpec(PROGRAM, { fileName: 'hello.bpf.c' });
  if (stop.signal.aborted) return; // Ctrl-C during a first, slow compile
  using obj = await loadObject(spec);
  using pipe = TracePipeReader.open();
  using _links = attachObject(obj);

  console.log('Tracing execve()... Hit Ctrl-C to end.');
  for await (const line of pipe.lines({ signal: stop.signal })) console.log(line.raw);
});
