// CO-RE type relocations: local and target type ids, existence (present, flavored, missing),
// size (struct, typedef, flavored) -- written into a syscall program's context.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___mine {
	int pid;
};

struct bpf_ts_no_such_type {
	int x;
};

typedef struct bpf_ts_no_such_type bpf_ts_no_such_type_t;

SEC("syscall")
int core_types(__u64 *ctx)
{
	ctx[0] = bpf_core_type_id_local(struct task_struct);
	ctx[1] = bpf_core_type_id_kernel(struct task_struct);
	ctx[2] = bpf_core_type_exists(struct task_struct);
	ctx[3] = bpf_core_type_exists(struct task_struct___mine);
	ctx[4] = bpf_core_type_exists(struct bpf_ts_no_such_type);
	ctx[5] = bpf_core_type_size(struct task_struct);
	ctx[6] = bpf_core_type_size(struct task_struct___mine);
	ctx[7] = bpf_core_type_size(struct bpf_ts_no_such_type);
	ctx[8] = bpf_core_type_size(u64);
	ctx[9] = bpf_core_type_id_kernel(struct bpf_ts_no_such_type);
	ctx[10] = bpf_core_type_exists(bpf_ts_no_such_type_t);
	ctx[11] = bpf_core_type_id_kernel(union bpf_attr);
	ctx[12] = bpf_core_type_size(union bpf_attr);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
