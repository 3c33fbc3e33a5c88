// The smallest useful object: one socket filter, a license, nothing else.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("socket")
int accept_all(struct __sk_buff *skb)
{
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
