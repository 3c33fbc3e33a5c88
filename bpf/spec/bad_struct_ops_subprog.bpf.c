// Rejected at open (a struct_ops function pointer naming a .text function); see
// test/loader/errors.test.ts.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct bpf_ts_ops {
	int (*run)(void *);
};

__noinline int plain_function(void *ctx)
{
	return 0;
}

SEC(".struct_ops")
struct bpf_ts_ops bad_ops = {
	.run = (void *)plain_function,
};

char LICENSE[] SEC("license") = "GPL";
