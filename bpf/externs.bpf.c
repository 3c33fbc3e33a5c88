// Externs libbpf resolves at load time: .kconfig values (LINUX_KERNEL_VERSION, CONFIG_*, weak
// ones that may be missing), typed and untyped .ksyms variables, weak ksyms, and kfunc calls.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern int LINUX_KERNEL_VERSION __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern int CONFIG_HZ __kconfig __weak;
extern bool CONFIG_BPF_TS_DOES_NOT_EXIST __kconfig __weak;
extern enum libbpf_tristate CONFIG_BPF_JIT_ALWAYS_ON __kconfig __weak;

extern const struct rq runqueues __ksym;
extern const void bpf_prog_active __ksym;
extern const int bpf_ts_missing_ksym __ksym __weak;

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym __weak;

/* Where the typeless ksym resolved (its kallsyms address). */
u64 prog_active_addr = 0;

SEC("tp_btf/sched_switch")
int on_switch(u64 *ctx)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct task_struct *t;
	struct rq *rq;
	u64 v = 0;

	if (LINUX_KERNEL_VERSION < 0x050f00 || !CONFIG_BPF_SYSCALL)
		return 0;
	if (CONFIG_BPF_TS_DOES_NOT_EXIST)
		v += CONFIG_HZ;
	if (CONFIG_BPF_JIT_ALWAYS_ON == TRI_YES)
		v++;
	rq = (struct rq *)bpf_this_cpu_ptr(&runqueues);
	v += rq->cpu;
	/* A typeless ksym is only an address (a scalar to the verifier), not a per-CPU pointer:
	 * bpf_this_cpu_ptr() takes typed ksyms only. */
	prog_active_addr = (u64)&bpf_prog_active;
	if (&bpf_ts_missing_ksym)
		v += 1;
	t = bpf_task_acquire(cur);
	if (t)
		bpf_task_release(t);
	if (bpf_task_from_pid) {
		t = bpf_task_from_pid(1);
		if (t)
			bpf_task_release(t);
	}
	return v;
}

char LICENSE[] SEC("license") = "GPL";
