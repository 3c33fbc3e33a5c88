// Fails verification on a known line: a map value used without a NULL check.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} vals SEC(".maps");

SEC("socket")
int missing_null_check(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&vals, &key);

	return *v; /* BAD LINE */
}

char LICENSE[] SEC("license") = "GPL";
