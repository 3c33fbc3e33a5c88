// connect: the process name and IPv4/IPv6 destination of every connect(2), through a ring buffer.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* <sys/socket.h> values; vmlinux.h has types, not macros. */
#define AF_INET 2
#define AF_INET6 10

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* One ring buffer record; main.ts decodes it through this object's BTF. */
struct connect_event {
	char comm[16];
	__u32 pid;
	__u16 family;
	/* In host byte order. */
	__u16 port;
	/* IPv4: the first 4 bytes; IPv6: all 16, in network order. */
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/*
 * Copies the destination from the caller's sockaddr. Not inlined, so that `struct connect_event`
 * is in the object's BTF (through this prototype). Returns 0 for families other than IPv4/IPv6.
 */
static __noinline int read_destination(struct connect_event *e, const void *uaddr, int addrlen)
{
	__u16 family = 0;

	if (bpf_probe_read_user(&family, sizeof(family), uaddr))
		return 0;
	if (family == AF_INET && addrlen >= (int)sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;

		if (bpf_probe_read_user(&sin, sizeof(sin), uaddr))
			return 0;
		e->port = bpf_ntohs(sin.sin_port);
		__builtin_memcpy(e->addr, &sin.sin_addr, 4);
	} else if (family == AF_INET6 && addrlen >= (int)sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 sin6;

		if (bpf_probe_read_user(&sin6, sizeof(sin6), uaddr))
			return 0;
		e->port = bpf_ntohs(sin6.sin6_port);
		__builtin_memcpy(e->addr, &sin6.sin6_addr, 16);
	} else {
		return 0;
	}
	e->family = family;
	return 1;
}

/* connect(int fd, const struct sockaddr *uservaddr, int addrlen): args[1] and args[2]. */
SEC("tp/syscalls/sys_enter_connect")
int on_connect(struct trace_event_raw_sys_enter *ctx)
{
	struct connect_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	if (!read_destination(e, (const void *)ctx->args[1], (int)ctx->args[2])) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
