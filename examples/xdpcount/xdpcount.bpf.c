// xdpcount: counts the packets (and bytes) arriving on a network device by IP protocol, at the
// earliest point the kernel offers (XDP), and lets every packet pass. One per-CPU array slot
// per IPv4 protocol / IPv6 next header (0..255), plus one slot for frames that are not IP.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define NON_IP_SLOT 256

struct counter {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NON_IP_SLOT + 1);
	__type(key, __u32);
	__type(value, struct counter);
} counts SEC(".maps");

/* The IP protocol of the frame in [data, data_end), or NON_IP_SLOT. */
static __always_inline __u32 ip_protocol(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__u16 proto;

	if (l3 > data_end)
		return NON_IP_SLOT;
	proto = eth->h_proto;
	/* One VLAN tag (802.1Q or 802.1ad outer tag) is looked through. */
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vlan = l3;

		if ((void *)(vlan + 1) > data_end)
			return NON_IP_SLOT;
		proto = vlan->h_vlan_encapsulated_proto;
		l3 = vlan + 1;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > data_end)
			return NON_IP_SLOT;
		return ip->protocol;
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return NON_IP_SLOT;
		return ip6->nexthdr;
	}
	return NON_IP_SLOT;
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 slot = ip_protocol(data, data_end);
	struct counter *c = bpf_map_lookup_elem(&counts, &slot);

	if (c) {
		/* This CPU's slot: no other program writes it while this one runs. */
		c->packets++;
		c->bytes += data_end - data;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
