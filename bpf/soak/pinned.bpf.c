// The SIGKILL-mid-load test's object (test/soak/load-kill.test.ts): maps pinned by name
// (LIBBPF_PIN_BY_NAME), one of them a prog array whose slot the load fills, and several
// programs, so that a load has distinct phases to be killed in: maps created, each program
// loaded, slots written.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} soak_pin_counts SEC(".maps");

int soak_pin_tail(void *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, int (void *));
} soak_pin_jumps SEC(".maps") = {
	.values = { [1] = (void *)&soak_pin_tail },
};

static __always_inline int count(__u32 key)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(&soak_pin_counts, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&soak_pin_counts, &key, &one, BPF_NOEXIST);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int soak_pin_tail(void *ctx)
{
	return count(100);
}

/* The programs count; none tail-calls (the prog array is there for its load-time slot). */
#define PROG(n)								\
	SEC("tracepoint/syscalls/sys_enter_getppid")			\
	int soak_pin_p##n(void *ctx)					\
	{								\
		return count(n);					\
	}

PROG(1)
PROG(2)
PROG(3)
PROG(4)
PROG(5)
PROG(6)

char LICENSE[] SEC("license") = "GPL";
