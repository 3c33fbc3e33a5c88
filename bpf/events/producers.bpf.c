// Record producers for the event-reader tests (test/events): a ring buffer filled with
// sequence-numbered records (reserve/submit with some discarded, or bpf_ringbuf_output with
// variable sizes), a perf event array written with bpf_perf_event_output on the CPU the test
// run is pinned to, a user ring buffer drained by bpf_user_ringbuf_drain, and a bpf_printk on a
// tracepoint. Each producer counts what the kernel accepted and refused in `stats`.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define PAYLOAD_WORDS 6

/* 64 bytes: what the kernel stores after its 8-byte header (ring buffer) or as raw data. */
struct record {
	__u64 seq;
	__u32 cpu;
	__u32 len;
	__u64 payload[PAYLOAD_WORDS];
};

/* Keeps `struct record` in the object's BTF for user space to decode records with. */
struct record record_btf_anchor = {};

struct stats {
	__u64 attempted;
	__u64 submitted;
	__u64 dropped;
	__u64 discarded;
};

/* Slot 0: ring buffer producer; 1: perf producer. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 16 * 1024);
} urb SEC(".maps");

/* Arguments of `produce` (ctx of the syscall program). */
struct produce_args {
	__u64 first_seq;
	__u32 count;
	/* Every record whose seq is a multiple of this is reserved then discarded (0: none). */
	__u32 discard_every;
	/* 0: reserve/submit 64-byte records; 1: bpf_ringbuf_output of 16 + (seq % 7) * 8 bytes. */
	__u32 mode;
	/* bpf_ringbuf_submit/output flags (BPF_RB_NO_WAKEUP, BPF_RB_FORCE_WAKEUP). */
	__u32 flags;
};

struct produce_ctx {
	struct produce_args *args;
	struct stats *st;
};

static __always_inline void fill(struct record *r, __u64 seq, __u32 len)
{
	r->seq = seq;
	r->cpu = bpf_get_smp_processor_id();
	r->len = len;
	for (int i = 0; i < PAYLOAD_WORDS; i++)
		r->payload[i] = seq * 0x9e3779b97f4a7c15ULL + i;
}

static long produce_one(__u64 i, struct produce_ctx *c)
{
	struct produce_args *a = c->args;
	struct stats *st = c->st;
	__u64 seq = a->first_seq + i;
	__u32 flags = a->flags;

	st->attempted++;
	if (a->mode == 1) {
		struct record r = {};
		__u32 len = 16 + (seq % 7) * 8;

		fill(&r, seq, len);
		/* Keep the bound check on the register the helper gets (clang folds it otherwise). */
		barrier_var(len);
		if (len > sizeof(r))
			return 1;
		if (bpf_ringbuf_output(&rb, &r, len, flags))
			st->dropped++;
		else
			st->submitted++;
		return 0;
	}
	struct record *r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		st->dropped++;
		return 0;
	}
	fill(r, seq, sizeof(*r));
	if (a->discard_every && seq % a->discard_every == 0) {
		bpf_ringbuf_discard(r, flags);
		st->discarded++;
	} else {
		bpf_ringbuf_submit(r, flags);
		st->submitted++;
	}
	return 0;
}

SEC("syscall")
int produce(struct produce_args *args)
{
	__u32 key = 0;
	struct produce_ctx c = { .args = args };

	c.st = bpf_map_lookup_elem(&stats, &key);
	if (!c.st)
		return 1;
	bpf_loop(args->count, produce_one, &c, 0);
	return 0;
}

/* raw_tp args: [0] first seq, [1] count, [2] mode (0: 64 bytes, 1: 16 + (seq % 13) * 4 bytes). */
struct perf_ctx {
	__u64 first_seq;
	__u64 mode;
	void *ctx;
	struct stats *st;
};

static long perf_one(__u64 i, struct perf_ctx *c)
{
	struct record r = {};
	__u64 seq = c->first_seq + i;
	__u32 len = c->mode == 1 ? 16 + (seq % 13) * 4 : sizeof(r);

	fill(&r, seq, len);
	c->st->attempted++;
	barrier_var(len);
	if (len > sizeof(r))
		return 1;
	if (bpf_perf_event_output(c->ctx, &perf, BPF_F_CURRENT_CPU, &r, len))
		c->st->dropped++;
	else
		c->st->submitted++;
	return 0;
}

SEC("raw_tp")
int produce_perf(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 key = 1;
	struct perf_ctx c = { .first_seq = ctx->args[0], .mode = ctx->args[2], .ctx = ctx };

	c.st = bpf_map_lookup_elem(&stats, &key);
	if (!c.st)
		return 1;
	bpf_loop(ctx->args[1], perf_one, &c, 0);
	return 0;
}

/*
 * What `drain` saw, written back to its ctx: samples, the sum of their seqs and `len` fields,
 * the last seq, how many seqs did not follow their predecessor, and the helper's return value.
 * `last_seq` is an input too: the seq before the first expected sample.
 */
struct drain_result {
	__u64 samples;
	__u64 seq_sum;
	__u64 len_sum;
	__u64 last_seq;
	__u64 gaps;
	__s64 ret;
};

static long drain_one(struct bpf_dynptr *d, struct drain_result *res)
{
	__u64 seq = 0;
	__u32 len = 0;

	res->samples++;
	if (bpf_dynptr_read(&len, sizeof(len), d, 12, 0) == 0)
		res->len_sum += len;
	if (bpf_dynptr_read(&seq, sizeof(seq), d, 0, 0) == 0) {
		res->seq_sum += seq;
		if (seq != res->last_seq + 1)
			res->gaps++;
		res->last_seq = seq;
	}
	return 0;
}

SEC("syscall")
int drain(struct drain_result *ctx)
{
	struct drain_result res = { .last_seq = ctx->last_seq };

	res.ret = bpf_user_ringbuf_drain(&urb, drain_one, &res, 0);
	ctx->samples = res.samples;
	ctx->seq_sum = res.seq_sum;
	ctx->len_sum = res.len_sum;
	ctx->last_seq = res.last_seq;
	ctx->gaps = res.gaps;
	ctx->ret = res.ret;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int printk_getppid(void *ctx)
{
	bpf_printk("bpf-ts printk pid=%d magic=%u", bpf_get_current_pid_tgid() >> 32, 0xb9f75u);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
