// struct_ops maps: TCP congestion controls whose function pointers name struct_ops programs, in
// `.struct_ops`, in `.struct_ops.link` (BPF_F_LINK), and in `?.struct_ops` (not created by
// default: libbpf's autocreate off).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("struct_ops/bpf_ts_init")
void BPF_PROG(bpf_ts_init, struct sock *sk)
{
}

SEC("struct_ops/bpf_ts_ssthresh")
__u32 BPF_PROG(bpf_ts_ssthresh, struct sock *sk)
{
	return 2;
}

SEC("struct_ops/bpf_ts_cong_avoid")
void BPF_PROG(bpf_ts_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
}

SEC("struct_ops/bpf_ts_undo_cwnd")
__u32 BPF_PROG(bpf_ts_undo_cwnd, struct sock *sk)
{
	return 10;
}

SEC(".struct_ops.link")
struct tcp_congestion_ops bpf_ts_cc = {
	.init = (void *)bpf_ts_init,
	.ssthresh = (void *)bpf_ts_ssthresh,
	.cong_avoid = (void *)bpf_ts_cong_avoid,
	.undo_cwnd = (void *)bpf_ts_undo_cwnd,
	.name = "bpf_ts_cc",
};

SEC(".struct_ops")
struct tcp_congestion_ops bpf_ts_cc_legacy = {
	.ssthresh = (void *)bpf_ts_ssthresh,
	.cong_avoid = (void *)bpf_ts_cong_avoid,
	.undo_cwnd = (void *)bpf_ts_undo_cwnd,
	.name = "bpf_ts_cc_legacy",
};

SEC("?.struct_ops")
struct tcp_congestion_ops bpf_ts_cc_off = {
	.ssthresh = (void *)bpf_ts_ssthresh,
	.cong_avoid = (void *)bpf_ts_cong_avoid,
	.undo_cwnd = (void *)bpf_ts_undo_cwnd,
	.name = "bpf_ts_cc_off",
};

char LICENSE[] SEC("license") = "GPL";
