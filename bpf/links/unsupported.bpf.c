// Hooks this test machine cannot attach (no kprobe PMU or kprobe_events, BPF trampolines
// refused): test/links checks the NotSupportedError each gives. They load fine.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("kprobe/do_nanosleep")
int on_kprobe(struct pt_regs *ctx) { return 0; }

SEC("kretprobe/do_nanosleep")
int on_kretprobe(struct pt_regs *ctx) { return 0; }

SEC("ksyscall/getppid")
int on_ksyscall(struct pt_regs *ctx) { return 0; }

SEC("kprobe.multi/do_nanosleep")
int on_kprobe_multi(struct pt_regs *ctx) { return 0; }

SEC("fentry/do_nanosleep")
int BPF_PROG(on_fentry) { return 0; }

SEC("fexit/do_nanosleep")
int BPF_PROG(on_fexit) { return 0; }

SEC("lsm/file_open")
int BPF_PROG(on_lsm, struct file *file) { return 0; }

char LICENSE[] SEC("license") = "GPL";
