// bcc's biolatency on kprobes: the time from blk_mq_start_request(rq) to the request's completion
// (blk_account_io_done where the kernel has it as a function, else __blk_account_io_done or
// blk_mq_end_request: the user side picks what kallsyms lists), as a log2 histogram of
// microseconds. test/kernels/kprobe-tools.test.ts runs it in the kernel matrix's QEMU kernels on
// direct reads of null_blk's /dev/nullb0.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define MAX_SLOTS 27

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct request *);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

/* bcc's log2(): the index of the highest set bit, without a loop. */
static __always_inline __u64 log2_u32(__u32 v)
{
	__u32 shift, r;

	r = (v > 0xFFFF) << 4;
	v >>= r;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u64 log2l(__u64 v)
{
	__u32 hi = v >> 32;

	return hi ? log2_u32(hi) + 32 : log2_u32(v);
}

SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(trace_start, struct request *rq)
{
	__u64 ts = bpf_ktime_get_ns();

	bpf_map_update_elem(&start, &rq, &ts, BPF_ANY);
	return 0;
}

/* Attached by the user side to the completion function this kernel has. */
SEC("kprobe")
int BPF_KPROBE(trace_done, struct request *rq)
{
	__u64 *tsp, delta;
	__u32 slot;
	__u64 *count;

	tsp = bpf_map_lookup_elem(&start, &rq);
	if (!tsp)
		return 0;
	delta = (bpf_ktime_get_ns() - *tsp) / 1000;
	/* bcc's bpf_log2l(): slot 1 holds 0..1, slot i 2^(i-1)..2^i-1 (what print_log2_hist and
	 * src/histogram expect; slot 0 stays empty). */
	slot = log2l(delta) + 1;
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	count = bpf_map_lookup_elem(&hist, &slot);
	if (count)
		__sync_fetch_and_add(count, 1);
	bpf_map_delete_elem(&start, &rq);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
