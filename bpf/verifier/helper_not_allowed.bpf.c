// bpf_skb_store_bytes() rewrites packets: a socket filter may only read them.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("socket")
int helper_not_allowed(struct __sk_buff *skb)
{
	__u32 zero = 0;

	bpf_skb_store_bytes(skb, 0, &zero, sizeof(zero), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
