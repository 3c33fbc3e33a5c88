// libbpf counterpart of bench/scenarios/perf-buffer.ts: loads bpf/bench/fill.bpf.o, opens a perf
// buffer of PAGES pages per online CPU, then RUNS times: BPF_PROG_TEST_RUN of bench_fill_perf on CPU
// (64-byte samples until the ring is full), then times perf_buffer__consume summing the sequence
// numbers (checked). Usage: perf-buffer OBJECT PAGES CPU RUNS. Prints "rate <records/s>" per run.
#include <bpf/bpf.h>
#include "bench.h"

static __u64 seq_sum, samples;

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	seq_sum += *(__u64 *)data;
	samples++;
}

/* The producer stops at the first sample that does not fit, which the kernel reports as lost. */
static void on_lost(void *ctx, int cpu, __u64 n)
{
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct perf_buffer *pb;
	int prog_fd, cpu, runs, i;
	__u64 first = 0;

	if (argc != 5)
		die("usage: perf-buffer OBJECT PAGES CPU RUNS");
	cpu = atoi(argv[3]);
	runs = atoi(argv[4]);
	if (!getenv("BENCH_DEBUG"))
		libbpf_set_print(silent_print);
	obj = load_object(argv[1], NULL);
	prog_fd = bpf_program__fd(bpf_object__find_program_by_name(obj, "bench_fill_perf"));
	pb = perf_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "bench_perf")), atoi(argv[2]), on_sample, on_lost, NULL, NULL);
	if (!pb)
		die("perf_buffer__new failed");
	for (i = 0; i < runs; i++) {
		__u64 args[2] = { first, 1 << 20 };
		LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args), .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = cpu);
		__u64 want;
		double t0;

		if (bpf_prog_test_run_opts(prog_fd, &opts) || opts.retval)
			die("bench_fill_perf failed");
		seq_sum = samples = 0;
		t0 = now_ns();
		if (perf_buffer__consume(pb) < 0)
			die("perf_buffer__consume failed");
		t0 = now_ns() - t0;
		want = samples * first + samples * (samples - 1) / 2;
		if (!samples || seq_sum != want)
			die("drained %llu samples, sum %llu want %llu", samples, seq_sum, want);
		emit("rate", samples / (t0 / 1e9));
		first += samples;
	}
	perf_buffer__free(pb);
	bpf_object__close(obj);
	return 0;
}
