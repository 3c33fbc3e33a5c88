// Rejected at open (a map-in-map slot naming a program); see test/loader/errors.test.ts.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} inner SEC(".maps");

SEC("socket")
int a_prog(void *ctx)
{
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} bad SEC(".maps") = {
	.values = { [0] = (void *)&a_prog },
};

SEC("socket")
int use_bad(void *ctx)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&bad, &k) != 0;
}

char LICENSE[] SEC("license") = "GPL";
