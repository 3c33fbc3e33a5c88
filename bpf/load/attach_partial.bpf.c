// attachObject(): the first program attaches, the second names a tracepoint no kernel has, so
// attaching the whole object fails half-way and must undo the first link.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tp/syscalls/sys_enter_getppid")
int attaches(void *ctx)
{
	return 0;
}

SEC("tp/bpfts_no_such_category/no_such_event")
int cannot_attach(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
