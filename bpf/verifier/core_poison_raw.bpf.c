// The call a loader writes over an instruction it could not relocate, here the marker for
// a failed CO-RE relocation (libbpf's 0xbad2310), emitted directly so the raw kernel log can be captured. libbpf rewrites the log
// line only when the index names one of the object's maps/externs or CO-RE relocations, and
// this object has none, so bpftool passes the kernel's own text through untouched.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("socket")
int core_poison_raw(struct __sk_buff *skb)
{
	long (*const poisoned)(void) = (void *)0xbad2310;

	if (skb->len > 100)
		return poisoned();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
