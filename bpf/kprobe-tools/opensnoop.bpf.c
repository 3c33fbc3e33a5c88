// An open(2) tracer on a kprobe, as bcc's opensnoop began: do_sys_openat2(dfd, filename, how) is
// where open, openat and openat2 meet; the user-space filename is copied with
// bpf_probe_read_user_str and each open goes to user space as a ring buffer record.
// test/kernels/kprobe-tools.test.ts runs it in the kernel matrix's QEMU kernels.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define NAME_MAX 256

struct open_event {
	__u32 pid;
	__u32 uid;
	__s32 dfd;
	__u32 flags;
	char comm[16];
	char filename[NAME_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* 0: every process; else only this one (set before load). */
const volatile __u32 target_tgid = 0;

SEC("kprobe/do_sys_openat2")
int BPF_KPROBE(trace_open, int dfd, const char *filename, struct open_how *how)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct open_event *e;

	if (target_tgid != 0 && tgid != target_tgid)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->dfd = dfd;
	e->flags = (__u32)BPF_CORE_READ(how, flags);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->filename, sizeof(e->filename), filename);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
