/*
 * The skeleton demo (docs/skeletons.md, test/skeleton/demo.test.ts): a `.rodata` knob, `.data`
 * and `.bss` counters, a typed hash map and a ring buffer whose record type is named by the
 * `__bpf_ts_record__events` marker, on the getppid() tracepoint (Node's `process.ppid` calls it).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

enum demo_kind : __u8 { DEMO_ENTER = 1, DEMO_EXIT = 2 };

struct demo_event {
	__u32 tgid;
	__u32 tid;
	__u64 seq;
	char comm[16];
	enum demo_kind kind;
};

struct demo_stats {
	__u64 calls;
	__u64 last_seq;
};

/* Only this process is counted (set before load). */
const volatile __u32 target_tgid = 0;
/* Added to every sequence number (writable while running). */
__u64 seq_base = 1000;
/* getppid() calls seen from target_tgid. */
__u64 hits;

/* Marker: ring buffer `events` carries `struct demo_event` records (bpf-ts gen skeleton). */
struct demo_event *__bpf_ts_record__events __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct demo_stats);
} stats SEC(".maps");

static void record(enum demo_kind kind)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	if (tgid != target_tgid)
		return;
	__u64 seq = seq_base + __sync_fetch_and_add(&hits, kind == DEMO_ENTER ? 1 : 0);
	struct demo_stats *s = bpf_map_lookup_elem(&stats, &tid);
	if (s) {
		__sync_fetch_and_add(&s->calls, 1);
		s->last_seq = seq;
	} else {
		struct demo_stats fresh = { .calls = 1, .last_seq = seq };
		bpf_map_update_elem(&stats, &tid, &fresh, BPF_NOEXIST);
	}
	struct demo_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return;
	e->tgid = tgid;
	e->tid = tid;
	e->seq = seq;
	e->kind = kind;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_enter(void *ctx)
{
	record(DEMO_ENTER);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_getppid")
int on_exit(void *ctx)
{
	record(DEMO_EXIT);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
