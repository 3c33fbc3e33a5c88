// Checks the lookup result on one branch only: the verifier walks the checked branch first and
// fails when it comes back for the other one (`from X to Y:` in the log).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("socket")
int branch_null_deref(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u32 len = skb->len;
	__u64 *value = bpf_map_lookup_elem(&counts, &key);

	if (len < 100) {
		if (!value)
			return 0;
		return *value;
	}
	return *value + len;
}

char LICENSE[] SEC("license") = "GPL";
