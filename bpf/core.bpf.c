// CO-RE relocations of every kind clang 14 emits: field byte offset/size/existence/signedness,
// bitfield lshift/rshift (through BPF_CORE_READ_BITFIELD), local and target type ids, type
// existence and size, enum value existence and value.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* A local "flavor" of a kernel type: the ___suffix is ignored when matching. */
struct task_struct___local {
	int pid;
	int tgid;
	int bpf_ts_no_such_field;
};

enum bpf_ts_local_enum { BPF_TS_LOCAL_A = 1 };

__u64 results[16];

SEC("tp_btf/sched_switch")
int core_relos(u64 *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct task_struct___local *lt = (void *)t;
	struct sk_buff *skb = (void *)ctx[0];

	results[0] = BPF_CORE_READ(t, real_parent, tgid);                          /* field byte offset */
	results[1] = bpf_core_field_exists(lt->bpf_ts_no_such_field);             /* field exists */
	results[2] = bpf_core_field_size(t->comm);                                 /* field byte size */
	results[3] = __builtin_preserve_field_info(t->pid, BPF_FIELD_SIGNED);                           /* field signed */
	results[4] = BPF_CORE_READ_BITFIELD_PROBED(skb, pkt_type);                  /* lshift/rshift/size */
	results[5] = bpf_core_type_id_local(struct task_struct);                    /* local type id */
	results[6] = bpf_core_type_id_kernel(struct task_struct);                   /* target type id */
	results[7] = bpf_core_type_exists(struct task_struct___local);              /* type exists */
	results[8] = bpf_core_type_size(struct task_struct);                        /* type size */
	results[9] = bpf_core_enum_value_exists(enum bpf_ts_local_enum, BPF_TS_LOCAL_A); /* enumval exists */
	results[10] = bpf_core_enum_value(enum bpf_func_id, BPF_FUNC_map_lookup_elem);   /* enumval value */
	results[11] = BPF_CORE_READ(lt, tgid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
