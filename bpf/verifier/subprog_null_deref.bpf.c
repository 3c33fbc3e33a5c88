// The unchecked lookup result is dereferenced in a static subprogram: the failure is in frame 1
// (`func#1`, `frame1:` states, `caller:`/`callee:` at level 2).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __noinline int read_count(__u64 *value)
{
	return *value;
}

SEC("socket")
int subprog_null_deref(struct __sk_buff *skb)
{
	__u32 key = skb->protocol;

	return read_count(bpf_map_lookup_elem(&counts, &key));
}

char LICENSE[] SEC("license") = "GPL";
