// cgroup_skb programs answer 0 (drop) or 1 (allow); 5 means nothing.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("cgroup_skb/ingress")
int bad_return(struct __sk_buff *skb)
{
	return 5;
}

char LICENSE[] SEC("license") = "GPL";
