// An off-by-one bounds check: index 64 of a 64-byte map value passes `<= 64`.
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
int map_value_oob(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct slot *slot = bpf_map_lookup_elem(&slots, &key);

	if (!slot)
		return 0;
	__u32 index = skb->len;
	if (index > 64)
		return 0;
	return slot->bytes[index];
}

char LICENSE[] SEC("license") = "GPL";
