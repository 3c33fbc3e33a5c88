// libbpf counterpart of bench/scenarios/object-load.ts: bpf_object__open_file + bpf_object__load
// (+ bpf_object__close, untimed) of OBJECT, RUNS times after one warm-up (as the bpf-ts side
// warms up). Usage: object-load OBJECT RUNS. Prints "run <ms>" per run.
#include "bench.h"

static double open_and_load(const char *path)
{
	double t0 = now_ns();
	struct bpf_object *obj = load_object(path, NULL);

	t0 = now_ns() - t0;
	bpf_object__close(obj);
	return t0 / 1e6;
}

int main(int argc, char **argv)
{
	int runs, i;

	if (argc != 3)
		die("usage: object-load OBJECT RUNS");
	runs = atoi(argv[2]);
	if (!getenv("BENCH_DEBUG"))
		libbpf_set_print(silent_print);
	open_and_load(argv[1]);
	for (i = 0; i < runs; i++)
		emit("run", open_and_load(argv[1]));
	return 0;
}
