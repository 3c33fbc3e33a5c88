// Objects for the `prog/map/link/btf show` tests (test/cli/show*.test.ts): a few program types,
// a program whose name is longer than the kernel's 15 bytes (full name from BTF func_info), and
// maps of several types, one of them a prog array so bpftool prints its owner program type;
// cgroup_skb, tc and perf_event programs for cgroup, tcx and perf_event links.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
} show_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} show_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} show_jumps SEC(".maps");

SEC("socket")
int show_socket_filter_with_long_name(struct __sk_buff *skb)
{
	__u32 key = skb->len & 127;
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(&show_counts, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&show_counts, &key, &one, BPF_ANY);
	bpf_tail_call(skb, &show_jumps, 0);
	return 0;
}

SEC("xdp")
int show_xdp(struct xdp_md *ctx)
{
	__u32 key = 0, *cfg = bpf_map_lookup_elem(&show_config, &key);

	return cfg && *cfg ? XDP_DROP : XDP_PASS;
}

SEC("raw_tp/sys_enter")
int show_raw_tp(void *ctx)
{
	__u32 key = 1;
	__u64 one = 1;

	bpf_map_update_elem(&show_counts, &key, &one, BPF_ANY);
	return 0;
}

SEC("cgroup_skb/ingress")
int show_cgroup_skb(struct __sk_buff *skb)
{
	return 1;
}

SEC("tc")
int show_tc(struct __sk_buff *skb)
{
	return -1; /* TC_ACT_UNSPEC: carry on */
}

SEC("perf_event")
int show_perf_event(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
