// Programs for the CLI tests of attach and events (test/cli): an auto-attachable tracepoint that
// counts getppid() calls per process in `hits` (so a test proves its own call fired it), an XDP
// and a tc program for `prog run` (they rewrite the packet and the context so data_out/ctx_out
// are checked), a syscall program whose bpf_printk the test triggers with a marker it chose, and
// a flow dissector for `net show`.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int count_getppid(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 one = 1, *v = bpf_map_lookup_elem(&hits, &tgid);

	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&hits, &tgid, &one, BPF_NOEXIST);
	return 0;
}

/* Adds 1 to every byte of the first 16 and returns XDP_TX. */
SEC("xdp")
int xdp_rewrite(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;

	if (data + 16 > end)
		return XDP_ABORTED;
	for (int i = 0; i < 16; i++)
		data[i] += 1;
	return XDP_TX;
}

/* Sets mark and priority in the context from the packet length; returns the length. */
SEC("tc")
int tc_mark(struct __sk_buff *skb)
{
	skb->mark = skb->len + 1000;
	skb->priority = 7;
	return skb->len;
}

struct say_args {
	__u64 magic;
};

SEC("syscall")
int say(struct say_args *args)
{
	bpf_printk("bpf-ts cli magic=%llu", args->magic);
	return 0;
}

/* For `net show`'s flow_dissector section: attached to a netns by the test. */
SEC("flow_dissector")
int dissect(struct __sk_buff *skb)
{
	return BPF_OK;
}

char LICENSE[] SEC("license") = "GPL";
