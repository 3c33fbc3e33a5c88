// Reads a stack slot nothing wrote. Privileged loaders (CAP_PERFMON) may read uninitialised
// stack, so capture.sh loads this one without CAP_PERFMON/CAP_SYS_ADMIN.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("socket")
int stack_read(struct __sk_buff *skb)
{
	__u64 out;

	asm volatile("%[out] = *(u64 *)(r10 - 8)" : [out] "=r"(out));
	return out;
}

char LICENSE[] SEC("license") = "GPL";
