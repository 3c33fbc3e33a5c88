// Rejected at open (an inner map definition with pinning); see test/loader/errors.test.ts.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_ARRAY);
		__uint(max_entries, 1);
		__type(key, __u32);
		__type(value, __u32);
		__uint(pinning, LIBBPF_PIN_BY_NAME);
	});
} bad SEC(".maps");

SEC("socket")
int use_bad(void *ctx)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&bad, &k) != 0;
}

char LICENSE[] SEC("license") = "GPL";
