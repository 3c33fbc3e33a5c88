// A load whose size cannot be adjusted: the local flavor reads a signed `long long pid` but the
// kernel's `pid` is a 4-byte signed int, so libbpf poisons the load (reachable: load fails).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___wide {
	long long pid;
} __attribute__((preserve_access_index));

SEC("syscall")
int core_bad_size(__u64 *ctx)
{
	struct task_struct___wide *t = (void *)bpf_get_current_task_btf();

	ctx[0] = t->pid;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
