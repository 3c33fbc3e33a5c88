// Ambiguity against a custom target BTF (test/core/fixtures/target-kernel.btf), which has two
// flavors of `struct foo` placing `x` at different offsets: neither candidate can be chosen.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct foo {
	int x;
} __attribute__((preserve_access_index));

SEC("syscall")
int core_ambiguous_custom(__u64 *ctx)
{
	ctx[0] = bpf_core_field_offset(struct foo, x);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
