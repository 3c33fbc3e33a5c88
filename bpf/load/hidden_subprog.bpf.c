// A global subprogram with hidden visibility (as bpf_usdt_arg() of <bpf/usdt.bpf.h> is): libbpf
// marks its BTF FUNC static before loading, so the verifier checks it with its caller's context.
// add_to() dereferences its pointer argument without a NULL check: fine for a static function
// called with a stack pointer, refused for a global one (verified alone, the argument may be NULL).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct args {
	__u64 value;
};

__attribute__((visibility("hidden"))) __noinline int add_to(__u64 *acc, __u64 delta)
{
	*acc += delta; /* no NULL check: only the caller proves acc valid */
	return 0;
}

SEC("syscall")
int hidden_caller(struct args *ctx)
{
	__u64 acc = ctx->value;

	add_to(&acc, 5);
	ctx->value = acc;
	return (int)acc;
}

char LICENSE[] SEC("license") = "GPL";
