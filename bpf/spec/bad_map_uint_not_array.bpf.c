// Rejected at open (an __uint attribute pointing to an int, not an array); see test/loader/errors.test.ts.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	int *max_entries;
	__type(key, __u32);
	__type(value, __u32);
} bad SEC(".maps");

SEC("socket")
int use_bad(void *ctx)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&bad, &k) != 0;
}

char LICENSE[] SEC("license") = "GPL";
