// One cycle of the resource soak (test/soak/resource-cycles.ts): a tracepoint program that counts
// the calling process's getppid() calls in an array map and submits one ring buffer record each.
// Filtered by tgid so that other processes' getppid() calls never reach the test's counts.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile __u32 soak_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} soak_hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} soak_events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int soak_cycle(void *ctx)
{
	__u32 key = 0;
	__u64 *hits, *rec;

	if (bpf_get_current_pid_tgid() >> 32 != soak_tgid)
		return 0;
	hits = bpf_map_lookup_elem(&soak_hits, &key);
	if (!hits)
		return 0;
	__sync_fetch_and_add(hits, 1);
	rec = bpf_ringbuf_reserve(&soak_events, sizeof(*rec), 0);
	if (rec) {
		*rec = *hits;
		bpf_ringbuf_submit(rec, 0);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
