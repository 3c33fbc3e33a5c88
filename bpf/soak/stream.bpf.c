// Producers of the event-stream soak (test/soak/stream-soak.ts): sequence-numbered records with
// a payload derived from the sequence number and an FNV-1a checksum of that payload, through a
// ring buffer (reserve/submit of full records with some discarded, and bpf_ringbuf_output of
// variable lengths) and a perf event array (variable lengths). Every attempt is counted in
// `soak_stats` (slot 0: ring; slot 1 + cpu: perf on that CPU): what the kernel accepted, what it
// refused (failed reserve/output), what was discarded, and a 32-bit sum of the accepted seqs.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define WORDS 12
#define MAX_CPUS 64

/* 16 + 4 * k bytes, k = WORDS for reserved records, seq % (WORDS + 1) for output ones. */
struct soak_record {
	__u64 seq;
	__u32 len;
	__u32 check;
	__u32 w[WORDS];
};

struct soak_stats {
	__u64 attempted;
	__u64 submitted;
	__u64 dropped;
	__u64 discarded;
	__u64 seq_sum32;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 + MAX_CPUS);
	__type(key, __u32);
	__type(value, struct soak_stats);
} soak_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} soak_rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} soak_perf SEC(".maps");

/* murmur3's fmix32. */
static __always_inline __u32 mix(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/* Fills the payload and checksum of a record of `k` words; returns its length. */
static __always_inline __u32 fill(struct soak_record *r, __u64 seq, __u32 k)
{
	__u32 check = 0x811c9dc5 ^ (__u32)(seq >> 32);

	r->seq = seq;
	r->len = 16 + 4 * k;
	for (int i = 0; i < WORDS; i++) {
		r->w[i] = mix((__u32)seq ^ (i * 0x9e3779b9));
		if (i < k)
			check = (check ^ r->w[i]) * 0x01000193;
	}
	r->check = check;
	return r->len;
}

/* ctx of soak_ring: records [first_seq, first_seq + count); every discard_every-th reserved one discarded. */
struct ring_args {
	__u64 first_seq;
	__u32 count;
	__u32 discard_every;
};

struct ring_ctx {
	struct ring_args *args;
	struct soak_stats *st;
};

static long ring_one(__u64 i, struct ring_ctx *c)
{
	struct soak_stats *st = c->st;
	__u64 seq = c->args->first_seq + i;

	st->attempted++;
	if (seq % 3 == 0) {
		struct soak_record r = {};
		__u32 len = fill(&r, seq, seq % (WORDS + 1));

		barrier_var(len);
		if (len > sizeof(r))
			return 1;
		if (bpf_ringbuf_output(&soak_rb, &r, len, 0)) {
			st->dropped++;
		} else {
			st->submitted++;
			st->seq_sum32 = (__u32)(st->seq_sum32 + (__u32)seq);
		}
		return 0;
	}
	struct soak_record *r = bpf_ringbuf_reserve(&soak_rb, sizeof(*r), 0);
	if (!r) {
		st->dropped++;
		return 0;
	}
	fill(r, seq, WORDS);
	if (c->args->discard_every && seq % c->args->discard_every == 0) {
		bpf_ringbuf_discard(r, 0);
		st->discarded++;
	} else {
		bpf_ringbuf_submit(r, 0);
		st->submitted++;
		st->seq_sum32 = (__u32)(st->seq_sum32 + (__u32)seq);
	}
	return 0;
}

SEC("syscall")
int soak_ring(struct ring_args *args)
{
	__u32 key = 0;
	struct ring_ctx c = { .args = args };

	c.st = bpf_map_lookup_elem(&soak_stats, &key);
	if (!c.st)
		return 1;
	bpf_loop(args->count, ring_one, &c, 0);
	return 0;
}

/* raw_tp args: [0] first seq, [1] count. Run on one CPU (BPF_F_TEST_RUN_ON_CPU). */
struct perf_ctx {
	__u64 first_seq;
	void *ctx;
	struct soak_stats *st;
};

static long perf_one(__u64 i, struct perf_ctx *c)
{
	struct soak_record r = {};
	struct soak_stats *st = c->st;
	__u64 seq = c->first_seq + i;
	__u32 len = fill(&r, seq, seq % (WORDS + 1));

	st->attempted++;
	barrier_var(len);
	if (len > sizeof(r))
		return 1;
	if (bpf_perf_event_output(c->ctx, &soak_perf, BPF_F_CURRENT_CPU, &r, len)) {
		st->dropped++;
	} else {
		st->submitted++;
		st->seq_sum32 = (__u32)(st->seq_sum32 + (__u32)seq);
	}
	return 0;
}

SEC("raw_tp")
int soak_perf_out(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 key = 1 + bpf_get_smp_processor_id();
	struct perf_ctx c = { .first_seq = ctx->args[0], .ctx = ctx };

	c.st = bpf_map_lookup_elem(&soak_stats, &key);
	if (!c.st)
		return 1;
	bpf_loop(ctx->args[1], perf_one, &c, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
