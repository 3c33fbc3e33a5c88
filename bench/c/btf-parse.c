// libbpf counterpart of bench/scenarios/btf-parse.ts: parse a BTF file with btf__parse and find
// a struct by name with btf__find_by_name_kind, RUNS times after the first (cold) run.
// Prints "cold <ms>", "run <ms>" per run, "rss_kb <delta>" (RSS growth from holding one parsed BTF).
#include <bpf/btf.h>
#include "bench.h"

static double one_run(const char *path, const char *name)
{
	double t0 = now_ns();
	struct btf *btf = btf__parse(path, NULL);
	int id;

	if (!btf)
		die("btf__parse(%s) failed", path);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	if (id <= 0)
		die("%s not found", name);
	t0 = now_ns() - t0;
	btf__free(btf);
	return t0 / 1e6;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/sys/kernel/btf/vmlinux";
	const char *name = argc > 2 ? argv[2] : "task_struct";
	int runs = argc > 3 ? atoi(argv[3]) : 20;
	long before;
	struct btf *held;
	int i;

	libbpf_set_print(silent_print);
	emit("cold", one_run(path, name));
	for (i = 0; i < runs; i++)
		emit("run", one_run(path, name));
	before = rss_kb();
	held = btf__parse(path, NULL);
	btf__find_by_name_kind(held, name, BTF_KIND_STRUCT);
	emit("rss_kb", rss_kb() - before);
	btf__free(held);
	return 0;
}
