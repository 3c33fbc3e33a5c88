// clang: clang-19
// BPF_CORE_TYPE_MATCHES (clang 15+): matching and non-matching local flavors of kernel types
// (member names, int sizes and signedness, enum variants, pointers to forward declarations).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct list_head___same {
	struct list_head___same *next, *prev;
};
struct list_head___extra {
	struct list_head___extra *next, *prev, *bpf_ts_extra;
};
struct callback_head___narrow {
	struct callback_head___narrow *next;
	void (*func)(struct callback_head___narrow *);
};
struct qspinlock___wrongint {
	long long val;
};
enum bpf_map_type___subset {
	BPF_MAP_TYPE_HASH___subset = 1,
	BPF_MAP_TYPE_ARRAY___subset = 2,
};
enum bpf_map_type___unknown {
	BPF_MAP_TYPE_BPF_TS_NONE___unknown = 1,
};
struct file;
struct fd___fwd {
	struct file *file;
	unsigned int flags;
};
typedef unsigned int u32___mine;

SEC("syscall")
int core_matches(__u64 *ctx)
{
	ctx[0] = bpf_core_type_matches(struct list_head___same);
	ctx[1] = bpf_core_type_matches(struct list_head___extra);
	ctx[2] = bpf_core_type_matches(struct callback_head___narrow);
	ctx[3] = bpf_core_type_matches(struct qspinlock___wrongint);
	ctx[4] = bpf_core_type_matches(enum bpf_map_type___subset);
	ctx[5] = bpf_core_type_matches(enum bpf_map_type___unknown);
	ctx[6] = bpf_core_type_matches(struct fd___fwd);
	ctx[7] = bpf_core_type_matches(u32___mine);
	ctx[8] = bpf_core_type_matches(u32);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
