// CO-RE bitfield relocations (byte offset, byte size, signedness, lshift/rshift) through
// BPF_CORE_READ_BITFIELD_PROBED, on kernel bitfields of sk_buff and tcp_sock and on a local
// flavor whose bitfield layout differs from the kernel's.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* tcp_sock's repair/frto bits, declared in a different order and width than the kernel's. */
struct tcp_sock___mine {
	unsigned int frto: 1;
	unsigned int repair: 3;
} __attribute__((preserve_access_index));

SEC("syscall")
int core_bitfields(__u64 *ctx)
{
	/* The context itself (a kernel copy of the test run's ctx_in) stands in for the kernel
	 * objects: user space fills it with known bits at the kernel's bitfield offsets. */
	struct sk_buff *skb = (void *)ctx;
	struct tcp_sock *tp = (void *)ctx;
	struct tcp_sock___mine *mt = (void *)ctx;

	ctx[0] = BPF_CORE_READ_BITFIELD_PROBED(skb, pkt_type);
	ctx[1] = BPF_CORE_READ_BITFIELD_PROBED(skb, cloned);
	ctx[2] = BPF_CORE_READ_BITFIELD_PROBED(tp, repair);
	ctx[3] = BPF_CORE_READ_BITFIELD_PROBED(mt, frto);
	ctx[4] = BPF_CORE_READ_BITFIELD_PROBED(mt, repair);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
