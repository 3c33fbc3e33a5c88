// Rejected at open: an extern in a section other than .kconfig/.ksyms; see test/loader/errors.test.ts.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern int bpf_ts_odd_extern __attribute__((section(".odd")));

SEC("socket")
int use_bad(void *ctx)
{
	return bpf_ts_odd_extern;
}

char LICENSE[] SEC("license") = "GPL";
