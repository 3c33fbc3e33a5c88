// biolatency: block I/O latency as a log2 histogram (bcc's biolatency). Issue (or, with -Q,
// insert into the OS queue) stamps each request; completion adds the elapsed time to the
// histogram. BTF tracepoints hand over the `struct request *` itself, which keys the start times;
// no kprobes are needed.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define DISK_NAME_LEN 32
#define MAX_SLOTS 65

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by user space before load. */
const volatile bool targ_ms = false;
const volatile bool targ_per_disk = false;
const volatile bool targ_queued = false;

/* bcc's disk_key_t: a histogram bucket, per disk with -D (the name is empty otherwise). */
struct hist_key {
	char disk[DISK_NAME_LEN];
	u64 slot;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct request *);
	__type(value, u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct hist_key);
	__type(value, u64);
} dist SEC(".maps");

/* Kernels before 5.17 kept the disk in the request itself. */
struct request___with_rq_disk {
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

static __always_inline struct gendisk *request_disk(struct request *rq)
{
	struct request___with_rq_disk *old = (void *)rq;

	if (bpf_core_field_exists(old->rq_disk))
		return BPF_CORE_READ(old, rq_disk);
	return BPF_CORE_READ(rq, q, disk);
}

/* bcc's bpf_log2l(): floor(log2(v)) + 1, and 1 for 0; slot i holds 2^(i-1) .. 2^i - 1. */
static __always_inline u64 log2_slot(u64 v)
{
	u64 slot = 1;

	for (int i = 0; i < 64 && v > 1; i++) {
		v >>= 1;
		slot++;
	}
	return slot;
}

static __always_inline int stamp(struct request *rq)
{
	u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&start, &rq, &now, BPF_ANY);
	return 0;
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(block_rq_insert, struct request *rq)
{
	return stamp(rq);
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(block_rq_issue, struct request *rq)
{
	/* With -Q a request that went through an I/O scheduler was stamped at insert already. */
	if (targ_queued && BPF_CORE_READ(rq, q, elevator))
		return 0;
	return stamp(rq);
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(block_rq_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	struct hist_key key = {};
	u64 *started, *count, delta, zero = 0;

	started = bpf_map_lookup_elem(&start, &rq);
	if (!started)
		return 0; /* issued before we started */
	delta = bpf_ktime_get_ns() - *started;
	bpf_map_delete_elem(&start, &rq);
	if ((s64)delta < 0)
		return 0;
	delta /= targ_ms ? 1000000U : 1000U;

	key.slot = log2_slot(delta);
	if (key.slot >= MAX_SLOTS)
		key.slot = MAX_SLOTS - 1;
	if (targ_per_disk) {
		struct gendisk *disk = request_disk(rq);

		if (disk)
			BPF_CORE_READ_STR_INTO(&key.disk, disk, disk_name);
	}
	count = bpf_map_lookup_elem(&dist, &key);
	if (!count) {
		bpf_map_update_elem(&dist, &key, &zero, BPF_NOEXIST);
		count = bpf_map_lookup_elem(&dist, &key);
		if (!count)
			return 0;
	}
	__sync_fetch_and_add(count, 1);
	return 0;
}
