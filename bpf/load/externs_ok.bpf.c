// Externs this kernel has: .kconfig values (bool, tristate, int, string, LINUX_*), a weak
// missing option, a weak missing __ksym variable (this kernel's kallsyms lists no variables), kfunc calls and a weak missing kfunc.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern enum libbpf_tristate CONFIG_BPF_JIT __kconfig __weak;
extern int CONFIG_HZ __kconfig;
extern char CONFIG_LOCALVERSION[16] __kconfig __weak;
extern bool CONFIG_BPF_TS_DOES_NOT_EXIST __kconfig __weak;

extern const int bpf_ts_missing_ksym __ksym __weak;

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym __weak;
/* Weak as well: both are Linux 6.2+, and read_kconfig alone must load on older kernels. */
extern void bpf_task_release(struct task_struct *p) __ksym __weak;
extern void bpf_ts_missing_kfunc(void) __ksym __weak;

/* libbpf's bpf_ksym_exists() (newer bpf_helpers.h than the one installed here). */
#define ksym_exists(sym) (!!(sym))

struct kconfig_out {
	__u32 version;
	__u32 hz;
	__u32 jit;
	__u8 syscall;
	__u8 wrapper;
	__u8 missing;
	__u8 has_missing_ksym;
	__u8 has_missing_kfunc;
	__u8 has_present_kfunc;
	char localversion[16];
};

struct kconfig_out out = {};

SEC("syscall")
int read_kconfig(void *ctx)
{
	out.version = LINUX_KERNEL_VERSION;
	out.hz = CONFIG_HZ;
	out.jit = CONFIG_BPF_JIT;
	out.syscall = CONFIG_BPF_SYSCALL;
	out.wrapper = LINUX_HAS_SYSCALL_WRAPPER;
	out.missing = CONFIG_BPF_TS_DOES_NOT_EXIST;
	out.has_missing_ksym = &bpf_ts_missing_ksym != 0;
	out.has_missing_kfunc = ksym_exists(bpf_ts_missing_kfunc);
	out.has_present_kfunc = ksym_exists(bpf_task_acquire);
	__builtin_memcpy(out.localversion, CONFIG_LOCALVERSION, sizeof(out.localversion));
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(use_ksyms, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct task_struct *t;
	t = bpf_task_acquire(next);
	if (t)
		bpf_task_release(t);
	/* Dead code the verifier prunes: the .kconfig map is frozen, the option is 0. */
	if (CONFIG_BPF_TS_DOES_NOT_EXIST)
		bpf_ts_missing_kfunc();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
