// libbpf counterpart of bench/btf-parse.ts: parse a BTF file with btf__parse and find a struct
// by name with btf__find_by_name_kind, RUNS times after one warm-up, timing each run.
// Prints "cold <ms>", then "run <ms>" per run, then "rss_kb <delta>" (RSS growth from holding one
// parsed BTF). Built by the bench: gcc -O2 bench/c/btf-parse.c -lbpf
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, resident = 0;

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * 4;
}

static double one_run(const char *path, const char *name)
{
	double t0 = now_ms();
	struct btf *btf = btf__parse(path, NULL);
	int id;

	if (!btf) {
		fprintf(stderr, "btf__parse(%s) failed\n", path);
		exit(1);
	}
	id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	if (id <= 0) {
		fprintf(stderr, "%s not found\n", name);
		exit(1);
	}
	t0 = now_ms() - t0;
	btf__free(btf);
	return t0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/sys/kernel/btf/vmlinux";
	const char *name = argc > 2 ? argv[2] : "task_struct";
	int runs = argc > 3 ? atoi(argv[3]) : 20;
	long before;
	struct btf *held;
	int i;

	libbpf_set_print(NULL);
	printf("cold %.3f\n", one_run(path, name));
	for (i = 0; i < runs; i++)
		printf("run %.3f\n", one_run(path, name));
	before = rss_kb();
	held = btf__parse(path, NULL);
	btf__find_by_name_kind(held, name, BTF_KIND_STRUCT);
	printf("rss_kb %ld\n", rss_kb() - before);
	btf__free(held);
	return 0;
}
