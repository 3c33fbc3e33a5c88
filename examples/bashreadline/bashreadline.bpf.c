// bashreadline: the command lines bash reads. A uretprobe on readline() sees the line it
// returns (a malloc'ed string in the shell's memory) and sends it, with the shell's pid, through
// a perf event array. The probe is attached by user space to /bin/bash or, when bash is linked
// against a shared libreadline, to that library: then any program calling readline() hits it,
// so only tasks named "bash" are reported (as bcc does).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define TASK_COMM_LEN 16
#define MAX_LINE 80

struct event {
	__u32 pid;
	char line[MAX_LINE];
};

/* Keeps `struct event` in the object's BTF: user space decodes samples through it. */
struct event event_btf_anchor = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

/* BPF_KRETPROBE reads the return register; libbpf 1.1 has no BPF_URETPROBE alias. */
SEC("uretprobe")
int BPF_KRETPROBE(readline_return, const char *line)
{
	char comm[TASK_COMM_LEN];
	struct event e = {};

	if (!line)
		return 0;
	bpf_get_current_comm(comm, sizeof(comm));
	if (comm[0] != 'b' || comm[1] != 'a' || comm[2] != 's' || comm[3] != 'h' || comm[4] != '\0')
		return 0;
	e.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_probe_read_user_str(e.line, sizeof(e.line), line);
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
