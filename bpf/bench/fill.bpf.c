// Producers of the event-buffer benchmarks (bench/scenarios/ring-buffer.ts, perf-buffer.ts and
// their libbpf counterparts in bench/c/): each run fills its buffer until the kernel refuses a
// record, every record starting with a u64 sequence number (first_seq, first_seq + 1, ...).
// `bench_flows` is the struct-valued hash map whose BTF-decoded dump the map benchmark reports.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* Resized by the benchmarks before load (16 MiB); this is only the default. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} bench_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} bench_perf SEC(".maps");

struct bench_flow {
	__u64 packets;
	__u64 bytes;
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	char ifname[15];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bench_flow);
} bench_flows SEC(".maps");

/* ctx of bench_fill_ring: in: first sequence number, record size (64, 256 or 4096); out: records written. */
struct bench_fill_args {
	__u64 first_seq;
	__u32 record_size;
	__u32 written;
};

/* bpf_loop callbacks get a stack pointer, not the ctx. */
struct bench_fill_state {
	__u64 next_seq;
	__u32 written;
};

/* Reserves one record of SIZE bytes; 1 (stop) when the ring is full. */
#define FILL_ONE(SIZE)                                                          \
	static long fill_##SIZE(__u64 i, struct bench_fill_state *st)          \
	{                                                                       \
		__u64 *r = bpf_ringbuf_reserve(&bench_ring, SIZE, 0);           \
		if (!r)                                                         \
			return 1;                                               \
		*r = st->next_seq++;                                            \
		bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);                        \
		st->written++;                                                  \
		return 0;                                                       \
	}
FILL_ONE(64)
FILL_ONE(256)
FILL_ONE(4096)

SEC("syscall")
int bench_fill_ring(struct bench_fill_args *a)
{
	struct bench_fill_state st = { .next_seq = a->first_seq };

	if (a->record_size == 64)
		bpf_loop(1 << 22, fill_64, &st, 0);
	else if (a->record_size == 256)
		bpf_loop(1 << 22, fill_256, &st, 0);
	else if (a->record_size == 4096)
		bpf_loop(1 << 22, fill_4096, &st, 0);
	else
		return 1;
	a->written = st.written;
	return 0;
}

struct bench_perf_ctx {
	__u64 first_seq;
	void *ctx;
	__u64 written;
};

struct bench_sample {
	__u64 seq;
	__u64 pad[7];
};

static long perf_one(__u64 i, struct bench_perf_ctx *c)
{
	struct bench_sample s = { .seq = c->first_seq + i };

	if (bpf_perf_event_output(c->ctx, &bench_perf, BPF_F_CURRENT_CPU, &s, sizeof(s)))
		return 1;
	c->written++;
	return 0;
}

/* raw_tp args: [0] first sequence number, [1] most samples. */
SEC("raw_tp")
int bench_fill_perf(struct bpf_raw_tracepoint_args *ctx)
{
	struct bench_perf_ctx c = { .first_seq = ctx->args[0], .ctx = ctx };

	bpf_loop(ctx->args[1], perf_one, &c, 0);
	return 0;
}
