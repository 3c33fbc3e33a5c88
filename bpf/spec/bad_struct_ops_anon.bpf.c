// Rejected at open (a struct_ops value of an anonymous struct); see test/loader/errors.test.ts.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC(".struct_ops")
struct {
	int a;
} bad_ops = { .a = 1 };

char LICENSE[] SEC("license") = "GPL";
