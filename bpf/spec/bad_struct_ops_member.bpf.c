// Rejected at open (a struct_ops relocation on a member that is not a function pointer); see
// test/loader/errors.test.ts.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct bpf_ts_ops {
	void *cookie;
	int (*run)(void);
};

SEC("struct_ops/run")
int run_op(void)
{
	return 0;
}

SEC(".struct_ops")
struct bpf_ts_ops bad_ops = {
	.cookie = (void *)run_op,
};

char LICENSE[] SEC("license") = "GPL";
