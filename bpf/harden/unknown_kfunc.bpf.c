// A program that needs a kfunc no kernel has: what users meet when an object was built for a
// newer kernel than the one they run (test/cli/bad-input: one clear line, nothing left behind).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern void bpf_ts_no_such_kfunc(void) __ksym;

SEC("syscall")
int needs_kfunc(void *ctx)
{
	bpf_ts_no_such_kfunc();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
