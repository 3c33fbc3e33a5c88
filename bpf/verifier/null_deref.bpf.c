// A map lookup whose result is dereferenced without the NULL check the verifier insists on.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("socket")
int null_deref(struct __sk_buff *skb)
{
	__u32 key = skb->protocol;
	__u64 *value = bpf_map_lookup_elem(&counts, &key);

	return *value;
}

char LICENSE[] SEC("license") = "GPL";
