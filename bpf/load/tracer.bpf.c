// A real-world style tracer: 24 programs (tracepoints, raw tracepoints, kprobes, tp_btf and a
// runnable syscall program), CO-RE reads of task_struct, a ring buffer, hash maps and
// `const volatile` globals that user space sets before load.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

const volatile __u32 targ_tgid = 0;
const volatile __u64 min_duration_ns = 0;
const volatile bool verbose = false;

__u64 runs = 0;
__u64 matched = 0;
__u32 last_ppid = 0;

struct event {
	__u32 pid;
	__u32 tgid;
	__u32 ppid;
	__u64 ts;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline bool wanted(__u32 tgid)
{
	return targ_tgid == 0 || targ_tgid == tgid;
}

static __noinline int record(struct task_struct *task)
{
	struct event *e;
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 pid = BPF_CORE_READ(task, pid);
	__u64 one = 1, *cnt;

	if (!wanted(tgid))
		return 0;
	cnt = bpf_map_lookup_elem(&counts, &pid);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&counts, &pid, &one, BPF_ANY);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = pid;
	e->tgid = tgid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->ts = bpf_ktime_get_ns();
	BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
	bpf_ringbuf_submit(e, 0);
	return 1;
}

static __always_inline int on_start(void)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();
	__u64 ts = bpf_ktime_get_ns();

	if (!wanted(bpf_get_current_pid_tgid() >> 32))
		return 0;
	bpf_map_update_elem(&starts, &pid, &ts, BPF_ANY);
	return 0;
}

static __always_inline int on_end(void)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();
	__u64 *start = bpf_map_lookup_elem(&starts, &pid);

	if (!start)
		return 0;
	if (bpf_ktime_get_ns() - *start >= min_duration_ns)
		record((struct task_struct *)bpf_get_current_task());
	bpf_map_delete_elem(&starts, &pid);
	return 0;
}

#define TP_PAIR(name)                                                          \
	SEC("tp/syscalls/sys_enter_" #name)                                    \
	int enter_##name(void *ctx) { return on_start(); }                     \
	SEC("tp/syscalls/sys_exit_" #name)                                     \
	int exit_##name(void *ctx) { return on_end(); }

TP_PAIR(openat)
TP_PAIR(read)
TP_PAIR(write)
TP_PAIR(close)
TP_PAIR(execve)
TP_PAIR(clone)
TP_PAIR(nanosleep)
TP_PAIR(getpid)

SEC("raw_tp/sched_process_exec")
int raw_exec(struct bpf_raw_tracepoint_args *ctx)
{
	return record((struct task_struct *)bpf_get_current_task());
}

SEC("raw_tp/sched_process_exit")
int raw_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&counts, &pid);
	return 0;
}

SEC("kprobe/do_nanosleep")
int BPF_KPROBE(kp_nanosleep)
{
	return on_start();
}

SEC("kretprobe/do_nanosleep")
int BPF_KRETPROBE(krp_nanosleep)
{
	return on_end();
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	if (verbose && wanted(BPF_CORE_READ(next, tgid)))
		__sync_fetch_and_add(&runs, 1);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	return record(child);
}

struct probe_args {
	__u32 tgid;
	__u32 ppid;
	__u64 runs;
};

/* Run through BPF_PROG_TEST_RUN: records the calling task, reports what it saw in its context. */
SEC("syscall")
int probe(struct probe_args *args)
{
	struct task_struct *task = bpf_get_current_task_btf();

	__sync_fetch_and_add(&runs, 1);
	args->tgid = task->tgid;
	args->ppid = BPF_CORE_READ(task, real_parent, tgid);
	last_ppid = args->ppid;
	if (record(task))
		__sync_fetch_and_add(&matched, 1);
	args->runs = runs;
	return task->pid;
}

char LICENSE[] SEC("license") = "GPL";
