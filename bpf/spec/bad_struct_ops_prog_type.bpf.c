// Rejected at open (a struct_ops function pointer naming a socket filter); see
// test/loader/errors.test.ts.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct bpf_ts_ops {
	int (*run)(void *);
};

SEC("socket")
int not_struct_ops(void *ctx)
{
	return 0;
}

SEC(".struct_ops")
struct bpf_ts_ops bad_ops = {
	.run = (void *)not_struct_ops,
};

char LICENSE[] SEC("license") = "GPL";
