// bcc's hello_world.py (`kprobe__sys_clone`: "Hello, World!" on every clone(2)) as a libbpf-style
// object: a kprobe on the architecture's clone syscall function (SEC("ksyscall/clone") ->
// __x64_sys_clone), printing through bpf_printk to tracefs trace_pipe. Kprobes attach in the
// kernel matrix's QEMU kernels (scripts/kernels/run.sh); test/kernels/kprobe-tools.test.ts runs it.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("ksyscall/clone")
int hello(void *ctx)
{
	bpf_printk("Hello, World!");
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
