// clang: clang-19
// Rejected at open (a 32-bit attribute given a 64-bit __ulong-style value); see test/loader/errors.test.ts.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	enum : unsigned long long { BAD_BIG = 0x100000000ULL } max_entries;
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
