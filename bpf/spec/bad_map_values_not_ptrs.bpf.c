// Rejected at open ('values' that is not an array of pointers); see test/loader/errors.test.ts.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	int values[];
} bad SEC(".maps");

SEC("socket")
int use_bad(void *ctx)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&bad, &k) != 0;
}

char LICENSE[] SEC("license") = "GPL";
