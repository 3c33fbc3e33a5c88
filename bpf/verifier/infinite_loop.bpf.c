// A loop whose state never changes: the verifier sees the same state twice at the back edge.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("socket")
int infinite_loop(struct __sk_buff *skb)
{
	__u32 n = skb->len;

	while (n)
		asm volatile("" : "+r"(n));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
