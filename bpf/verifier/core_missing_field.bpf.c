// Reads a field this kernel's task_struct does not have, without a bpf_core_field_exists()
// guard: libbpf poisons the relocated instruction and the verifier trips over the poison.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___old {
	int nonexistent_field;
} __attribute__((preserve_access_index));

SEC("tracepoint/syscalls/sys_enter_getpid")
int core_missing_field(void *ctx)
{
	struct task_struct___old *task = (void *)bpf_get_current_task();

	return BPF_CORE_READ(task, nonexistent_field);
}

char LICENSE[] SEC("license") = "GPL";
