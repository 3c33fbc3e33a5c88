// clang: clang-19
// bpf_core_type_matches (BPF_TYPE_MATCHES, kind 12) needs clang 15+; built with clang-19.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___matches {
	int pid;
};

__u64 matched[2];

SEC("raw_tp/sys_enter")
int core_type_matches(void *ctx)
{
	matched[0] = bpf_core_type_matches(struct task_struct___matches);
	matched[1] = bpf_core_type_matches(struct task_struct);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
