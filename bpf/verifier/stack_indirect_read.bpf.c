// Hands a helper a pointer to a key nothing wrote. Loaded without CAP_PERFMON (see capture.sh),
// which is what unprivileged-ish loaders and hardened systems run with.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("socket")
int stack_indirect_read(struct __sk_buff *skb)
{
	__u32 key;

	asm volatile("" : "=m"(key));
	return bpf_map_lookup_elem(&counts, &key) != 0;
}

char LICENSE[] SEC("license") = "GPL";
