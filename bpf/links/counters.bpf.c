// Programs for test/links: each hook increments its own slot of `counts` (only for the test's
// process where the hook sees a process), so a test proves its attach fired by a count it caused.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

enum slot {
	SLOT_TRACEPOINT = 0,
	SLOT_RAW_TP = 1,
	SLOT_TP_BTF = 2,
	SLOT_UPROBE = 3,
	SLOT_URETPROBE = 4,
	SLOT_PERF_EVENT = 5,
	SLOT_XDP = 6,
	SLOT_TCX = 7,
	SLOT_CGROUP_SKB = 8,
	SLOT_CGROUP_SOCK = 9,
	SLOT_SOCKET = 10,
	SLOT_XDP_SECOND = 11,
	SLOT_SK_LOOKUP = 12,
	SLOT_NETFILTER = 13,
	SLOT_UPROBE_MULTI = 14,
	SLOT_TCX_EGRESS = 15,
	SLOT_URETVAL = 16,
	SLOT_USDT = 17,
	SLOT_SK_MSG = 18,
	SLOTS = 24,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

// The test process (tgid) for hooks that see every process; set before load.
const volatile __u32 target_tgid = 0;

static __always_inline void bump(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &slot);
	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline int is_target(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int tp_getppid(void *ctx)
{
	if (is_target())
		bump(SLOT_TRACEPOINT);
	return 0;
}

SEC("raw_tp/sys_enter")
int raw_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	if (is_target() && ctx->args[1] == 110 /* __NR_getppid on x86-64 */)
		bump(SLOT_RAW_TP);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(btf_sys_enter, struct pt_regs *regs, long id)
{
	if (is_target() && id == 110)
		bump(SLOT_TP_BTF);
	return 0;
}

SEC("uprobe")
int on_uprobe(struct pt_regs *ctx)
{
	bump(SLOT_UPROBE);
	return 0;
}

SEC("uretprobe")
int on_uretprobe(struct pt_regs *ctx)
{
	bump(SLOT_URETPROBE);
	// The traced function returns its argument + 1: record the sum of return values.
	__u32 slot = SLOT_URETVAL;
	__u64 *v = bpf_map_lookup_elem(&counts, &slot);
	if (v)
		__sync_fetch_and_add(v, PT_REGS_RC(ctx));
	return 0;
}

SEC("uprobe.multi")
int on_uprobe_multi(struct pt_regs *ctx)
{
	bump(SLOT_UPROBE_MULTI);
	return 0;
}

SEC("usdt")
int on_usdt(struct pt_regs *ctx)
{
	bump(SLOT_USDT);
	return 0;
}

SEC("perf_event")
int on_perf_event(struct bpf_perf_event_data *ctx)
{
	if (is_target())
		bump(SLOT_PERF_EVENT);
	return 0;
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	bump(SLOT_XDP);
	return XDP_PASS;
}

SEC("xdp")
int xdp_count_second(struct xdp_md *ctx)
{
	bump(SLOT_XDP_SECOND);
	return XDP_PASS;
}

SEC("tcx/ingress")
int tcx_ingress_count(struct __sk_buff *skb)
{
	bump(SLOT_TCX);
	return -1; // TCX_NEXT
}

SEC("tcx/egress")
int tcx_egress_count(struct __sk_buff *skb)
{
	bump(SLOT_TCX_EGRESS);
	return -1; // TCX_NEXT
}

SEC("cgroup_skb/egress")
int cgroup_egress_count(struct __sk_buff *skb)
{
	bump(SLOT_CGROUP_SKB);
	return 1;
}

SEC("cgroup/sock_create")
int cgroup_sock_create_count(struct bpf_sock *sk)
{
	bump(SLOT_CGROUP_SOCK);
	return 1;
}

SEC("socket")
int socket_count(struct __sk_buff *skb)
{
	bump(SLOT_SOCKET);
	return skb->len;
}

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} socks SEC(".maps");

SEC("sk_msg")
int sk_msg_count(struct sk_msg_md *msg)
{
	bump(SLOT_SK_MSG);
	return SK_PASS;
}

SEC("sk_lookup")
int sk_lookup_count(struct bpf_sk_lookup *ctx)
{
	bump(SLOT_SK_LOOKUP);
	return SK_PASS;
}

SEC("netfilter")
int netfilter_count(struct bpf_nf_ctx *ctx)
{
	bump(SLOT_NETFILTER);
	return 1; // NF_ACCEPT
}

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;

	if (!task)
		return 0;
	if (task->pid == task->tgid)
		BPF_SEQ_PRINTF(seq, "%d %s\n", task->tgid, task->comm);
	return 0;
}

SEC("iter/bpf_map")
int dump_map(struct bpf_iter__bpf_map *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct bpf_map *map = ctx->map;

	if (!map)
		return 0;
	BPF_SEQ_PRINTF(seq, "%u %s\n", map->id, map->name);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
