// Rejected at open (a .maps variable that is not a struct); see test/loader/errors.test.ts.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

int bad SEC(".maps");

SEC("socket")
int use_bad(void *ctx)
{
	__u32 k = 0;

	return bad + k;
}

char LICENSE[] SEC("license") = "GPL";
