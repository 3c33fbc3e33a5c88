// bootstrap: process exec and exit events with their lifetime (libbpf-bootstrap's tool).
// The exec tracepoint stamps a start time per process; the exit tracepoint reports how long the
// process lived and its exit code. User space sets min_duration_ns before load: then only exits
// of processes that lived at least that long are reported, and execs are not.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define TASK_COMM_LEN 16
#define MAX_FILENAME_LEN 127

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* One ring buffer record; main.ts decodes it through this object's BTF. */
struct event {
	int pid;
	int ppid;
	unsigned int exit_code;
	unsigned long long duration_ns;
	char comm[TASK_COMM_LEN];
	char filename[MAX_FILENAME_LEN];
	bool exit_event;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, pid_t);
	__type(value, u64);
} exec_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} rb SEC(".maps");

const volatile unsigned long long min_duration_ns = 0;

/*
 * What both events share. Not inlined, so that `struct event` is in the object's BTF (through this
 * function's prototype) for user space to decode records with.
 */
static __noinline void fill_common(struct event *e, pid_t pid)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	e->pid = pid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
}

SEC("tp/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	pid_t pid = bpf_get_current_pid_tgid() >> 32;
	u64 now = bpf_ktime_get_ns();
	unsigned int filename_at;
	struct event *e;

	bpf_map_update_elem(&exec_start, &pid, &now, BPF_ANY);
	/* With a minimum duration only exits are interesting. */
	if (min_duration_ns)
		return 0;

	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	fill_common(e, pid);
	e->exit_event = false;
	e->exit_code = 0;
	e->duration_ns = 0;
	/* __data_loc: the low 16 bits are the string's offset in the record. */
	filename_at = ctx->__data_loc_filename & 0xffff;
	bpf_probe_read_kernel_str(&e->filename, sizeof(e->filename), (void *)ctx + filename_at);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/sched/sched_process_exit")
int handle_exit(struct trace_event_raw_sched_process_template *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	u64 id = bpf_get_current_pid_tgid();
	pid_t pid = id >> 32;
	u64 duration_ns = 0, *started;
	struct event *e;

	/* A thread leaving is not the process exiting. */
	if (pid != (u32)id)
		return 0;

	started = bpf_map_lookup_elem(&exec_start, &pid);
	if (started)
		duration_ns = bpf_ktime_get_ns() - *started;
	else if (min_duration_ns)
		return 0;
	bpf_map_delete_elem(&exec_start, &pid);
	if (min_duration_ns && duration_ns < min_duration_ns)
		return 0;

	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	fill_common(e, pid);
	e->exit_event = true;
	e->duration_ns = duration_ns;
	/* task->exit_code is the wait status: the exit status is in bits 8..15. */
	e->exit_code = (BPF_CORE_READ(task, exit_code) >> 8) & 0xff;
	e->filename[0] = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
