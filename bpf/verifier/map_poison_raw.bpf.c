// The call a loader writes over an instruction it could not relocate, here the marker for
// a BPF map that was never created (2001000000 + map index 7), emitted directly so the raw kernel log can be captured. libbpf rewrites the log
// line only when the index names one of the object's maps/externs or CO-RE relocations, and
// this object has none, so bpftool passes the kernel's own text through untouched.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("socket")
int map_poison_raw(struct __sk_buff *skb)
{
	long (*const poisoned)(void) = (void *)2001000007;

	if (skb->len > 100)
		return poisoned();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
