// Rejected at open: a function declared __kconfig; see test/loader/errors.test.ts.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern int bpf_ts_kconfig_fn(void) __kconfig;

SEC("socket")
int use_bad(void *ctx)
{
	return bpf_ts_kconfig_fn();
}

char LICENSE[] SEC("license") = "GPL";
