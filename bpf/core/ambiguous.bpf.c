// An ambiguous CO-RE relocation against the running kernel: vmlinux has both `struct nf_conn`
// and the flavored `struct nf_conn___init`, two compatible candidates with different type ids,
// so the kernel type id of a local `struct nf_conn` cannot be decided. libbpf refuses to load.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

SEC("syscall")
int core_ambiguous(__u64 *ctx)
{
	ctx[0] = bpf_core_type_exists(struct nf_conn);		/* both say 1: fine */
	ctx[1] = bpf_core_type_id_kernel(struct nf_conn);	/* ids differ: ambiguous */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
