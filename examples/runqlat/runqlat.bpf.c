// runqlat: run queue latency, the time a task waits between becoming runnable (woken, created,
// or preempted while runnable) and running on a CPU, as log2 histograms. BTF-enabled raw
// tracepoints (tp_btf) see the task_struct pointers the scheduler passes. The histograms are
// per-CPU (an array of slots, or a hash keyed by id and slot for -P/-L): each CPU counts into
// its own copy without atomics, and user space sums the copies.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Log2 slots, as bcc's BPF_HISTOGRAM: slot i counts values 2^(i-1) .. 2^i - 1 (slot 1: 0 and 1). */
#define MAX_SLOTS 64
#define TASK_RUNNING 0

const volatile bool targ_per_process = false;
const volatile bool targ_per_thread = false;
const volatile bool targ_ms = false;
const volatile pid_t targ_tgid = 0;

/* When each thread became runnable, by thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

/* The histogram of all tasks: one counter per slot on each CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} dist SEC(".maps");

/* -P / -L: one histogram per process or thread id, keyed like bcc's pid_key_t. */
struct pid_key {
	__u32 id;
	__u32 slot;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct pid_key);
	__type(value, __u64);
} dist_by_id SEC(".maps");

/* task_struct::state was renamed __state in Linux 5.14. */
struct task_struct___pre_514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___pre_514 *)t, state);
}

static __always_inline void enqueue(__u32 tgid, __u32 tid)
{
	__u64 ts;

	if (tid == 0)
		return;
	if (targ_tgid != 0 && (__u32)targ_tgid != tgid)
		return;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;

	for (int shift = 32; shift > 0; shift >>= 1) {
		if (v >= (1ULL << shift)) {
			v >>= shift;
			r += shift;
		}
	}
	return r;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup, struct task_struct *p)
{
	enqueue(p->tgid, p->pid);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new, struct task_struct *p)
{
	enqueue(p->tgid, p->pid);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 tid = next->pid, slot;
	__u64 *tsp, *count;
	__s64 delta;

	/* A task preempted while runnable goes straight back to the run queue. */
	if (task_state(prev) == TASK_RUNNING)
		enqueue(prev->tgid, prev->pid);

	tsp = bpf_map_lookup_elem(&start, &tid);
	if (!tsp)
		return 0;
	delta = (__s64)(bpf_ktime_get_ns() - *tsp);
	if (delta < 0)
		goto cleanup;
	delta /= targ_ms ? 1000000 : 1000;
	slot = log2_u64(delta) + 1;
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;

	if (targ_per_process || targ_per_thread) {
		struct pid_key key = { .id = targ_per_process ? (__u32)next->tgid : tid, .slot = slot };
		const __u64 one = 1;

		count = bpf_map_lookup_elem(&dist_by_id, &key);
		if (!count) {
			/* A new key starts at 1 on this CPU (0 on the others)... */
			if (bpf_map_update_elem(&dist_by_id, &key, &one, BPF_NOEXIST) == 0)
				goto cleanup;
			/* ...unless another CPU inserted it first: then count here as usual. */
			count = bpf_map_lookup_elem(&dist_by_id, &key);
			if (!count)
				goto cleanup;
		}
	} else {
		count = bpf_map_lookup_elem(&dist, &slot);
		if (!count)
			goto cleanup;
	}
	/* This CPU's counter, and tracing programs do not migrate: a plain increment is safe. */
	(*count)++;

cleanup:
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
