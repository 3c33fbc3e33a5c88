// CO-RE field relocations, each result written into the context of a syscall program so a
// BPF_PROG_TEST_RUN can read them back: byte offset (ALU and direct loads), byte size,
// existence, signedness, array elements, anonymous members, a local flavor with a missing
// field (guarded by bpf_core_field_exists) and a load whose size changes (u64 -> u32).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___mine {
	int pid;
	int tgid;
	char comm[16];
	unsigned long long flags;	/* unsigned int in the kernel: the load shrinks to 4 bytes */
	int bpf_ts_missing;		/* no such field in the kernel */
	struct task_struct___mine *real_parent;
} __attribute__((preserve_access_index));

SEC("syscall")
int core_fields(__u64 *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct task_struct___mine *m = (void *)t;

	ctx[0] = bpf_core_field_offset(struct task_struct, pid);
	ctx[1] = bpf_core_field_size(struct task_struct, comm);
	ctx[2] = bpf_core_field_exists(struct task_struct, pid);
	ctx[3] = bpf_core_field_exists(struct task_struct___mine, bpf_ts_missing);
	ctx[4] = __builtin_preserve_field_info(t->pid, BPF_FIELD_SIGNED);
	ctx[5] = __builtin_preserve_field_info(t->flags, BPF_FIELD_SIGNED);
	ctx[6] = m->pid;
	ctx[7] = m->flags;
	ctx[8] = BPF_CORE_READ(m, real_parent, tgid);
	ctx[9] = bpf_core_field_offset(m->comm[3]);
	ctx[10] = bpf_core_field_offset(struct sk_buff, next);	/* inside anonymous union + struct */
	ctx[11] = bpf_core_field_offset(struct sk_buff, dev);	/* one level deeper */
	if (bpf_core_field_exists(m->bpf_ts_missing))
		ctx[12] = m->bpf_ts_missing;			/* poisoned, but dead code */
	else
		ctx[12] = 12345;
	ctx[13] = bpf_core_field_size(m->flags);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
