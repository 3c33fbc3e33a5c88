// execsnoop: every execve(2) with its arguments, parent and result (bcc's execsnoop, on the
// syscall tracepoints: kprobes are not needed). The entry stores the filename and arguments per
// thread; the exit adds the return value and the new command name and sends the record.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define TASK_COMM_LEN 16
/* Bytes kept of each argument, and the most arguments --max-args may ask for. */
#define ARGSIZE 128
#define TOTAL_MAX_ARGS 60
#define ARGS_BUFFER (TOTAL_MAX_ARGS * ARGSIZE)
/* An argument starting past this offset might not fit. */
#define LAST_ARG (ARGS_BUFFER - ARGSIZE)

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by user space before load. */
const volatile bool ignore_failed = true;
const volatile uid_t targ_uid = (uid_t)-1;
const volatile int max_args = 20;

/*
 * One exec. Records carry only the used part of `args`: the filename and argv[1..] as
 * NUL-terminated strings, args_count of them. args_count == max_args + 1 says some were left out.
 */
struct event {
	pid_t pid;
	pid_t ppid;
	uid_t uid;
	int retval;
	int args_count;
	unsigned int args_size;
	char comm[TASK_COMM_LEN];
	char args[ARGS_BUFFER];
};

/*
 * Execs between entry and exit, by process id: a successful exec from a secondary thread
 * returns in the thread group leader's place, with the process id as its thread id.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, pid_t);
	__type(value, struct event);
} execs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} events SEC(".maps");

static const struct event empty_event = {};

/* execve(const char *filename, const char *const *argv, const char *const *envp) */
SEC("tp/syscalls/sys_enter_execve")
int on_execve_enter(struct trace_event_raw_sys_enter *ctx)
{
	pid_t pid = bpf_get_current_pid_tgid() >> 32;
	uid_t uid = (u32)bpf_get_current_uid_gid();
	const char *const *argv = (const char *const *)ctx->args[1];
	struct task_struct *task;
	struct event *e;
	long n;
	int i;

	if (targ_uid != (uid_t)-1 && targ_uid != uid)
		return 0;
	if (bpf_map_update_elem(&execs, &pid, &empty_event, BPF_NOEXIST))
		return 0;
	e = bpf_map_lookup_elem(&execs, &pid);
	if (!e)
		return 0;

	task = (struct task_struct *)bpf_get_current_task();
	e->pid = pid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = uid;

	n = bpf_probe_read_user_str(e->args, ARGSIZE, (const char *)ctx->args[0]);
	if (n <= 0)
		return 0;
	e->args_size = n;
	e->args_count = 1;

	for (i = 1; i < TOTAL_MAX_ARGS && i < max_args; i++) {
		const char *arg = NULL;
		unsigned int at = e->args_size;

		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
			return 0;
		if (at > LAST_ARG)
			return 0;
		n = bpf_probe_read_user_str(&e->args[at], ARGSIZE, arg);
		if (n <= 0)
			return 0;
		e->args_count++;
		e->args_size += n;
	}
	/* More arguments than shown? Say so without copying one. */
	{
		const char *arg = NULL;

		if (!bpf_probe_read_user(&arg, sizeof(arg), &argv[max_args]) && arg)
			e->args_count++;
	}
	return 0;
}

SEC("tp/syscalls/sys_exit_execve")
int on_execve_exit(struct trace_event_raw_sys_exit *ctx)
{
	pid_t pid = bpf_get_current_pid_tgid() >> 32;
	struct event *e = bpf_map_lookup_elem(&execs, &pid);
	unsigned int size;

	if (!e)
		return 0;
	e->retval = ctx->ret;
	if (ignore_failed && e->retval < 0)
		goto out;
	/* After a successful exec this is the new program's name. */
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	size = e->args_size;
	if (size > ARGS_BUFFER)
		goto out;
	bpf_ringbuf_output(&events, e, offsetof(struct event, args) + size, 0);
out:
	bpf_map_delete_elem(&execs, &pid);
	return 0;
}
