// Indexes a map value with a packet-controlled number that was never bounds-checked.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct slot {
	__u8 bytes[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slot);
} slots SEC(".maps");

SEC("socket")
int unbounded_access(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct slot *slot = bpf_map_lookup_elem(&slots, &key);

	if (!slot)
		return 0;
	__u64 index = skb->len;
	return slot->bytes[index];
}

char LICENSE[] SEC("license") = "GPL";
