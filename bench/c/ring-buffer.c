// libbpf counterpart of bench/scenarios/ring-buffer.ts: loads bpf/bench/fill.bpf.o with a 16 MiB
// ring, then RUNS times: BPF_PROG_TEST_RUN of bench_fill_ring (fills the ring with RECORD_SIZE-byte
// records), then times ring_buffer__consume summing the sequence numbers (checked).
// Usage: ring-buffer OBJECT RECORD_SIZE RUNS. Prints "rate <records/s>" per run.
#include <bpf/bpf.h>
#include "bench.h"

struct fill_args {
	__u64 first_seq;
	__u32 record_size;
	__u32 written;
};

static __u64 seq_sum;

static int on_record(void *ctx, void *data, size_t size)
{
	seq_sum += *(__u64 *)data;
	return 0;
}

static void resize_ring(struct bpf_object *obj)
{
	if (bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "bench_ring"), 16 << 20))
		die("cannot resize bench_ring");
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct ring_buffer *rb;
	int prog_fd, runs, i;
	__u64 first = 0;

	if (argc != 4)
		die("usage: ring-buffer OBJECT RECORD_SIZE RUNS");
	runs = atoi(argv[3]);
	if (!getenv("BENCH_DEBUG")) libbpf_set_print(silent_print);
	obj = load_object(argv[1], resize_ring);
	prog_fd = bpf_program__fd(bpf_object__find_program_by_name(obj, "bench_fill_ring"));
	rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "bench_ring")), on_record, NULL, NULL);
	if (!rb)
		die("ring_buffer__new failed");
	for (i = 0; i < runs; i++) {
		struct fill_args args = { .first_seq = first, .record_size = atoi(argv[2]) };
		LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args, .ctx_size_in = sizeof(args));
		__u64 n, want;
		double t0;
		int got;

		if (bpf_prog_test_run_opts(prog_fd, &opts) || opts.retval)
			die("bench_fill_ring failed");
		seq_sum = 0;
		t0 = now_ns();
		got = ring_buffer__consume(rb);
		t0 = now_ns() - t0;
		n = args.written;
		want = n * first + n * (n - 1) / 2;
		if (got < 0 || (__u64)got != n || seq_sum != want)
			die("drained %d of %llu records, sum %llu want %llu", got, n, seq_sum, want);
		emit("rate", n / (t0 / 1e9));
		first += n;
	}
	ring_buffer__free(rb);
	bpf_object__close(obj);
	return 0;
}
