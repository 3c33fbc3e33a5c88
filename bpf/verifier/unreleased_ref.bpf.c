// Reserves ring buffer space and returns without submitting or discarding it.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("socket")
int unreleased_ref(struct __sk_buff *skb)
{
	__u32 *len = bpf_ringbuf_reserve(&events, sizeof(*len), 0);

	if (!len)
		return 0;
	*len = skb->len;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
