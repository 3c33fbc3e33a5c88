// libbpf counterpart of bench/scenarios/map-ops.ts. Usage: map-ops OBJECT ENTRIES BATCH NAME.
// A hash map u32 -> u64 (named NAME) of ENTRIES: bpf_map_update_elem each key, bpf_map_lookup_elem
// each key and as many missing keys, bpf_map_lookup_batch BATCH at a time; then bench_flows of
// OBJECT, resized to ENTRIES and filled with bpf_map_update_batch, dumped with
// bpf_map_lookup_batch + btf_dump__dump_type_data per value.
// Prints "update", "lookup", "miss", "dump", "decoded_dump" in ns per operation.
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <unistd.h>
#include "bench.h"

static int entries, batch;
static size_t text_bytes;

static double ns_per_op(double t0)
{
	return (now_ns() - t0) / entries;
}

/* Dumps the whole map BATCH entries per call; each batch's values go to `each`. Returns the count. */
static long batch_walk(int fd, __u32 value_size, void (*each)(void *values, __u32 n, void *ctx), void *ctx)
{
	__u32 *keys = calloc(batch, sizeof(*keys));
	char *values = calloc(batch, value_size);
	__u32 in = 0, out = 0, n;
	void *in_batch = NULL;
	long total = 0;
	int err;

	do {
		n = batch;
		err = bpf_map_lookup_batch(fd, in_batch, &out, keys, values, &n, NULL);
		if (err && errno != ENOENT)
			die("bpf_map_lookup_batch: %d", errno);
		if (each)
			each(values, n, ctx);
		total += n;
		in = out;
		in_batch = &in;
	} while (!err);
	free(keys);
	free(values);
	return total;
}

static void plain_ops(const char *name)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, name, 4, 8, entries, NULL);
	__u64 value, sum = 0;
	double t0;
	__u32 k;

	if (fd < 0)
		die("bpf_map_create: %d", errno);
	t0 = now_ns();
	for (k = 0; k < (__u32)entries; k++) {
		value = k;
		if (bpf_map_update_elem(fd, &k, &value, BPF_ANY))
			die("update %u: %d", k, errno);
	}
	emit("update", ns_per_op(t0));
	t0 = now_ns();
	for (k = 0; k < (__u32)entries; k++) {
		if (bpf_map_lookup_elem(fd, &k, &value))
			die("lookup %u: %d", k, errno);
		sum += value;
	}
	emit("lookup", ns_per_op(t0));
	if (sum != (__u64)entries * (entries - 1) / 2)
		die("lookups summed to %llu", sum);
	t0 = now_ns();
	for (k = entries; k < 2 * (__u32)entries; k++)
		if (!bpf_map_lookup_elem(fd, &k, &value) || errno != ENOENT)
			die("key %u found", k);
	emit("miss", ns_per_op(t0));
	t0 = now_ns();
	if (batch_walk(fd, 8, NULL, NULL) != entries)
		die("batch dump missed entries");
	emit("dump", ns_per_op(t0));
	close(fd);
}

static void count_text(void *ctx, const char *fmt, va_list args)
{
	text_bytes += vsnprintf(NULL, 0, fmt, args);
}

struct decode_ctx {
	struct btf_dump *dump;
	__u32 type_id, value_size;
};

static void decode_values(void *values, __u32 n, void *p)
{
	struct decode_ctx *c = p;
	LIBBPF_OPTS(btf_dump_type_data_opts, opts);
	__u32 i;

	for (i = 0; i < n; i++)
		if (btf_dump__dump_type_data(c->dump, c->type_id, (char *)values + i * c->value_size, c->value_size, &opts) < 0)
			die("btf_dump__dump_type_data failed");
}

static void resize_flows(struct bpf_object *obj)
{
	bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "bench_flows"), entries);
}

static void decoded_dump(const char *path)
{
	struct bpf_object *obj = load_object(path, resize_flows);
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "bench_flows");
	struct decode_ctx c = { .type_id = bpf_map__btf_value_type_id(map), .value_size = bpf_map__value_size(map) };
	__u32 *keys = calloc(entries, 4), count = entries, i;
	char *values = calloc(entries, c.value_size);
	double t0;

	for (i = 0; i < (__u32)entries; i++) {
		keys[i] = i;
		*(__u64 *)(values + i * c.value_size) = i;
		*(__u32 *)(values + i * c.value_size + 16) = i;
	}
	if (bpf_map_update_batch(bpf_map__fd(map), keys, values, &count, NULL))
		die("bpf_map_update_batch: %d", errno);
	c.dump = btf_dump__new(bpf_object__btf(obj), count_text, NULL, NULL);
	if (!c.dump)
		die("btf_dump__new failed");
	t0 = now_ns();
	if (batch_walk(bpf_map__fd(map), c.value_size, decode_values, &c) != entries || !text_bytes)
		die("decoded dump missed entries");
	emit("decoded_dump", ns_per_op(t0));
	btf_dump__free(c.dump);
	free(keys);
	free(values);
	bpf_object__close(obj);
}

int main(int argc, char **argv)
{
	if (argc != 5)
		die("usage: map-ops OBJECT ENTRIES BATCH NAME");
	entries = atoi(argv[2]);
	batch = atoi(argv[3]);
	if (!getenv("BENCH_DEBUG"))
		libbpf_set_print(silent_print);
	plain_ops(argv[4]);
	decoded_dump(argv[1]);
	return 0;
}
