// A program calling helper 4000, beyond every kernel's helper table: an object built for a
// newer kernel (test/cli/bad-input checks the verifier's refusal is one clear line).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

static long (*bpf_ts_future_helper)(void) = (void *)4000;

SEC("socket")
int needs_helper(struct __sk_buff *skb)
{
	return bpf_ts_future_helper();
}

char LICENSE[] SEC("license") = "GPL";
