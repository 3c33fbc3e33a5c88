// Rejected at open (a struct_ops value that is not a struct); see test/loader/errors.test.ts.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC(".struct_ops")
int bad_ops = 1;

char LICENSE[] SEC("license") = "GPL";
