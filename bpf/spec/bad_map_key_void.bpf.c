// Rejected at open (a 'key' pointing to void (no size)); see test/loader/errors.test.ts.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	void *key;
	__type(value, __u32);
} bad SEC(".maps");

SEC("socket")
int use_bad(void *ctx)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&bad, &k) != 0;
}

char LICENSE[] SEC("license") = "GPL";
