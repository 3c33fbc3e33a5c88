// A socket filter may read skb->len but not write it.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("socket")
int ctx_write(struct __sk_buff *skb)
{
	skb->len = 0;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
