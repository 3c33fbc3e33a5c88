// The `bpf-ts run` / `load` test object (test/cli/run*.test.ts): a tracepoint on kill(2) that
// the test triggers with process.kill(X, 0) for pids X that do not exist (ESRCH, no signal
// sent). Each call is sent as a `struct kill_event` to a ring buffer (or the perf event array
// when `use_perf` is set) and counted in log2 and linear histograms of X, so the test can check
// records, rodata knobs and histogram counts against what it did itself.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

enum kill_mode {
	MODE_RECORD = 0,	/* send records and count */
	MODE_COUNT_ONLY = 1,	/* count, send nothing */
};

/* Knobs set with `bpf-ts run --set NAME=VALUE` before load. */
const volatile __u32 target_tgid = 0;		/* only this process (0: every process) */
const volatile __u64 tag = 0;			/* copied into each record */
const volatile __s16 delta = 0;			/* added to the record's `shifted` */
const volatile char label[8] = "none";		/* copied into each record */
const volatile bool use_perf = false;		/* records to `perf_events` instead of `events` */
const volatile enum kill_mode mode = MODE_RECORD;

/* .data: also settable before load; added to `shifted` too. */
__s32 data_offset = 0;

struct kill_event {
	__u32 tgid;
	__s32 target;		/* kill(2)'s pid argument */
	__u64 tag;
	__s64 shifted;		/* target + delta + data_offset */
	char comm[16];
	char label[8];
	bool perf;
	enum kill_mode mode;
};

/* Keeps `struct kill_event` in the object's BTF (the ring buffer has no value type). */
struct kill_event kill_event_btf_anchor = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf_events SEC(".maps");

/* log2 histogram of the target pid, bcc's slots (bpf_log2l). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

/* Linear histogram of target % 16, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} lin SEC(".maps");

struct sig_slot {
	__u32 sig;
	__u32 slot;
};

/* Per-signal log2 histogram (bcc's section histograms). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct sig_slot);
	__type(value, __u64);
} hist_by_sig SEC(".maps");

/* Counts of matching calls: slot 0. Read through the pin after `bpf-ts load OBJ PINDIR`. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 slot = 1;

	/* bcc's bpf_log2l: floor(log2(v)) + 1, and 1 for 0. */
	for (int i = 0; i < 64 && v > 1; i++) {
		v >>= 1;
		slot++;
	}
	return slot;
}

static __always_inline void add(void *map, void *key)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(map, key);

	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(map, key, &one, BPF_NOEXIST);
}

SEC("tp/syscalls/sys_enter_kill")
int on_kill(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__s32 target = (__s32)ctx->args[0];
	__u32 sig = (__u32)ctx->args[1];
	__u32 zero = 0;

	if (target_tgid && tgid != target_tgid)
		return 0;
	add(&calls, &zero);

	__u64 magnitude = target < 0 ? -(__s64)target : target;
	__u32 slot = log2_slot(magnitude);
	add(&hist, &slot);
	__u32 bucket = magnitude % 16;
	add(&lin, &bucket);
	struct sig_slot key = { .sig = sig, .slot = slot };
	add(&hist_by_sig, &key);

	if (mode == MODE_COUNT_ONLY)
		return 0;
	struct kill_event e = {};
	e.tgid = tgid;
	e.target = target;
	e.tag = tag;
	e.shifted = (__s64)target + delta + data_offset;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	/* Read through the volatile: a cast-away memcpy would be folded to the initializer. */
	for (int i = 0; i < sizeof(e.label); i++)
		e.label[i] = label[i];
	e.perf = use_perf;
	e.mode = mode;
	if (use_perf)
		bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	else
		bpf_ringbuf_output(&events, &e, sizeof(e), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
