// opensnoop: traces open(2), openat(2) and openat2(2). The syscall entry tracepoints remember
// the path pointer per thread; the exit tracepoints read the path once the kernel has copied it
// (so the read does not fault on a page the caller has not touched yet) and send one event per
// open through a ring buffer. Filters are `.rodata` knobs user space sets before load.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define TASK_COMM_LEN 16
#define PATH_MAX_LEN 256

/* Filters, set from the command line before load (0 / empty: no filter). */
const volatile pid_t targ_tgid = 0;
const volatile char targ_comm[TASK_COMM_LEN] = {};
const volatile bool targ_failed = false;

struct event {
	__u64 ts_ns;
	__s64 ret;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__s32 flags;
	char comm[TASK_COMM_LEN];
	char path[PATH_MAX_LEN];
};

/* Keeps `struct event` in the object's BTF: user space decodes records through it. */
struct event event_btf_anchor = {};

struct open_args {
	const char *path;
	__s32 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct open_args);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline bool comm_allowed(void)
{
	char comm[TASK_COMM_LEN];

	if (targ_comm[0] == '\0')
		return true;
	bpf_get_current_comm(comm, sizeof(comm));
	for (int i = 0; i < TASK_COMM_LEN; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (comm[i] == '\0')
			break;
	}
	return true;
}

static __always_inline int enter(const char *path, __s32 flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct open_args args = { .path = path, .flags = flags };

	if (targ_tgid != 0 && (pid_t)(id >> 32) != targ_tgid)
		return 0;
	if (!comm_allowed())
		return 0;
	bpf_map_update_elem(&start, &tid, &args, BPF_ANY);
	return 0;
}

static __always_inline int leave(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct open_args *args;
	struct event *e;

	args = bpf_map_lookup_elem(&start, &tid);
	if (!args)
		return 0;
	if (targ_failed && ret >= 0)
		goto out;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		goto out;
	e->ts_ns = bpf_ktime_get_ns();
	e->ret = ret;
	e->pid = id >> 32;
	e->tid = tid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->flags = args->flags;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (bpf_probe_read_user_str(e->path, sizeof(e->path), args->path) < 0)
		e->path[0] = '\0';
	bpf_ringbuf_submit(e, 0);
out:
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_open")
int trace_enter_open(struct trace_event_raw_sys_enter *ctx)
{
	return enter((const char *)ctx->args[0], (__s32)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_open")
int trace_exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int trace_enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	return enter((const char *)ctx->args[1], (__s32)ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int trace_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx->ret);
}

/* openat2(dfd, path, struct open_how *how, size): flags live in user memory. */
SEC("tracepoint/syscalls/sys_enter_openat2")
int trace_enter_openat2(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how how = {};

	bpf_probe_read_user(&how, sizeof(how), (void *)ctx->args[2]);
	return enter((const char *)ctx->args[1], (__s32)how.flags);
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int trace_exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx->ret);
}

char LICENSE[] SEC("license") = "GPL";
