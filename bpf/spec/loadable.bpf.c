// SEC() families that the reference bpftool (libbpf 1.1) knows and that load with no runtime
// attach target, so tests can load the whole object with `bpftool prog loadall` and compare the
// program types libbpf chose with ours.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define PROG(sec, name) SEC(sec) int name(void *ctx) { return 0; }
#define PROG1(sec, name) SEC(sec) int name(void *ctx) { return 1; }

PROG("socket", l_socket)
PROG("kprobe/do_nanosleep", l_kprobe)
PROG("kretprobe/do_nanosleep", l_kretprobe)
PROG("uprobe", l_uprobe)
PROG("ksyscall/openat", l_ksyscall)
PROG("kprobe.multi/do_nano*", l_kprobe_multi)
PROG("tc", l_tc)
PROG("action", l_action)
PROG("tracepoint/syscalls/sys_enter_openat", l_tracepoint)
PROG("raw_tp/sys_enter", l_raw_tp)
PROG("raw_tracepoint.w/sys_enter", l_raw_tp_w)
PROG("tp_btf/sched_switch", l_tp_btf)
PROG("iter/task", l_iter)
PROG("xdp", l_xdp)
PROG("perf_event", l_perf_event)
PROG("lwt_in", l_lwt_in)
PROG1("sockops", l_sockops)
PROG("sk_skb/stream_verdict", l_sk_skb)
PROG1("sk_msg", l_sk_msg)
PROG("flow_dissector", l_flow_dissector)
PROG1("cgroup_skb/ingress", l_cgroup_skb)
PROG1("cgroup/sock_create", l_cgroup_sock)
PROG1("cgroup/connect4", l_cgroup_connect4)
PROG1("cgroup/sysctl", l_cgroup_sysctl)
PROG1("cgroup/getsockopt", l_cgroup_getsockopt)
PROG1("cgroup/dev", l_cgroup_dev)
PROG1("sk_lookup", l_sk_lookup)
PROG("syscall", l_syscall)

char LICENSE[] SEC("license") = "GPL";
