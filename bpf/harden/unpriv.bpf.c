// Loaded by a user without privileges in test/harden/privileges: the names are unique, so the
// test can tell that nothing of this object reached the kernel.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bpfts_unpriv_m SEC(".maps");

SEC("socket")
int bpfts_unpriv_p(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&bpfts_unpriv_m, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

SEC("raw_tp/sys_enter")
int bpfts_unpriv_tp(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
