// A loop the verifier must walk iteration by iteration: each pass differs in `i`, so no state
// is ever pruned and the walk runs past the 1,000,000-instruction budget.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("socket")
int too_many_insns(struct __sk_buff *skb)
{
	__u64 sum = 0;

#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < 10000000; i++)
		sum += i ^ skb->len;
	return sum;
}

char LICENSE[] SEC("license") = "GPL";
