// The kernel matrix's attach proofs (test/kernels/attach.test.ts): one counter program per hook
// that only the QEMU kernels can attach (kprobe, kretprobe, their legacy tracefs form, ksyscall,
// kprobe.multi, fentry, fexit, fmod_ret, lsm), each counting only the test process's own calls.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

enum slot {
	SLOT_KPROBE,
	SLOT_KRETPROBE,
	SLOT_KPROBE_LEGACY,
	SLOT_KRETPROBE_LEGACY,
	SLOT_KSYSCALL,
	SLOT_KPROBE_MULTI,
	SLOT_FENTRY,
	SLOT_FEXIT,
	SLOT_FMOD_RET,
	SLOT_LSM,
	SLOT_FMOD_RET_LSM,
	SLOT_COUNT,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

/* Set by the test before load: only its own process is counted. */
__u32 target_tgid = 0;
/* Set by the test: security_file_open fails with EPERM for the test process (fmod_ret). */
__u32 deny_open = 0;
/* What fexit saw do_sys_openat2 return last (an fd >= 0 for a successful open). */
long last_fexit_ret = -1;

static __always_inline int is_target(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

static __always_inline void bump(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &slot);
	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("kprobe/do_sys_openat2")
int on_kprobe(struct pt_regs *ctx)
{
	if (is_target())
		bump(SLOT_KPROBE);
	return 0;
}

SEC("kretprobe/do_sys_openat2")
int on_kretprobe(struct pt_regs *ctx)
{
	if (is_target())
		bump(SLOT_KRETPROBE);
	return 0;
}

SEC("kprobe/do_sys_openat2")
int on_kprobe_legacy(struct pt_regs *ctx)
{
	if (is_target())
		bump(SLOT_KPROBE_LEGACY);
	return 0;
}

SEC("kretprobe/do_sys_openat2")
int on_kretprobe_legacy(struct pt_regs *ctx)
{
	if (is_target())
		bump(SLOT_KRETPROBE_LEGACY);
	return 0;
}

SEC("ksyscall/getppid")
int on_ksyscall(struct pt_regs *ctx)
{
	if (is_target())
		bump(SLOT_KSYSCALL);
	return 0;
}

SEC("kprobe.multi/do_sys_openat2")
int on_kprobe_multi(struct pt_regs *ctx)
{
	if (is_target())
		bump(SLOT_KPROBE_MULTI);
	return 0;
}

SEC("fentry/do_sys_openat2")
int BPF_PROG(on_fentry, int dfd, const char *filename, struct open_how *how)
{
	if (is_target())
		bump(SLOT_FENTRY);
	return 0;
}

SEC("fexit/do_sys_openat2")
int BPF_PROG(on_fexit, int dfd, const char *filename, struct open_how *how, long ret)
{
	if (is_target()) {
		bump(SLOT_FEXIT);
		last_fexit_ret = ret;
	}
	return 0;
}

/*
 * bpf_modify_return_test(int a, int *b) { *b += 1; return a + *b; } is the kernel's own
 * error-injection target for fmod_ret, called by BPF_PROG_TEST_RUN of a tracing program. A
 * non-zero return skips the function: the test run then reports 42 and no side effect.
 */
SEC("fmod_ret/bpf_modify_return_test")
int BPF_PROG(on_fmod_ret, int a, int *b, int ret)
{
	if (!is_target())
		return 0;
	bump(SLOT_FMOD_RET);
	return 42;
}

/*
 * fmod_ret on an LSM hook function: the kernel allows fmod_ret on security_* functions even
 * without CONFIG_FUNCTION_ERROR_INJECTION (Debian's 6.1 and 6.12 have none), and a non-zero
 * return is the hook's verdict: the open fails with it.
 */
SEC("fmod_ret/security_file_open")
int BPF_PROG(on_fmod_ret_lsm, struct file *file, int ret)
{
	if (!is_target() || !deny_open)
		return 0;
	bump(SLOT_FMOD_RET_LSM);
	return -1; /* -EPERM */
}

SEC("lsm/file_open")
int BPF_PROG(on_lsm, struct file *file)
{
	if (is_target())
		bump(SLOT_LSM);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
