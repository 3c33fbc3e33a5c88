// What the libbpf counterparts of bench/scenarios share: a monotonic clock, the `key value`
// output lines the runner parses (bench/runner/c-program.ts), failing loudly, RSS.
#ifndef BPF_TS_BENCH_H
#define BPF_TS_BENCH_H
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline void emit(const char *key, double value)
{
	printf("%s %.3f\n", key, value);
}

static inline void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static inline long rss_kb(void)
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

/* Opens and loads an object, failing loudly; `prepare` may resize maps before the load. */
static inline struct bpf_object *load_object(const char *path, void (*prepare)(struct bpf_object *))
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);

	if (!obj)
		die("bpf_object__open_file(%s) failed", path);
	if (prepare)
		prepare(obj);
	if (bpf_object__load(obj))
		die("bpf_object__load(%s) failed", path);
	return obj;
}

static inline int silent_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}
#endif
