// bpf-to-bpf calls: static and global subprograms in .text, a bpf_loop callback, and several
// programs (in one section and in different sections) sharing them.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

__u64 loop_sum;

static __noinline int add_one(int x)
{
	return x + 1;
}

/* Global subprograms are verified on their own (BTF func linkage global). */
__noinline int global_square(int x)
{
	return add_one(x) * x;
}

static int loop_cb(__u32 index, void *ctx)
{
	__u64 *sum = ctx;

	*sum += index;
	return index > 10;
}

static __noinline int sum_loop(__u32 n)
{
	__u64 sum = 0;

	bpf_loop(n, loop_cb, &sum, 0);
	loop_sum = sum;
	return (int)sum;
}

SEC("socket")
int prog_a(struct __sk_buff *skb)
{
	return add_one(skb->len) + global_square(2);
}

SEC("socket")
int prog_b(struct __sk_buff *skb)
{
	return sum_loop(skb->len & 0xff) + add_one(3);
}

SEC("xdp")
int prog_xdp(struct xdp_md *ctx)
{
	return global_square(ctx->ingress_ifindex) > 0 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
