// Inputs for the ELF reader and disassembler tests: several programs in different sections, BTF
// maps, global data in .data/.bss/.rodata, helper calls, bpf-to-bpf calls, a callback (ldimm64
// src=4) and a kfunc call (typed ksyms are left out: they need data symbols in kallsyms, which
// kernels without CONFIG_KALLSYMS_ALL lack). Also built big-endian and without -g by build.sh in
// this folder. Every program must load, so the CLI test can compare with bpftool.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

#define ETH_P_IPV6 0x86DD

struct event {
	u32 pid;
	s32 delta;
	char name[16];
};

const volatile u32 filter_pid = 0;
u64 total_bytes = 0;
u32 seed = 12345;
s64 signed_acc = -5;

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

static __noinline u32 mix(u32 x, u32 y)
{
	u32 h = x * 2654435761u;
	h ^= y >> 7;
	h += (h << 13) | (y & 0xff);
	if (y != 0)
		h = h / (y | 1) + h % 3;
	return h;
}

static __noinline s64 signed_ops(s64 a, s64 b)
{
	s64 r = a >> 3; /* arithmetic shift */
	if (a < b)
		r -= b;
	if (r <= -100)
		r = -r;
	return r * 7;
}

static long loop_cb(u64 index, void *ctx)
{
	u64 *acc = ctx;
	*acc += index * 3;
	return index > 2;
}

SEC("socket")
int sock_count(struct __sk_buff *skb)
{
	u32 key = skb->protocol;
	u64 one = 1, *v;

	v = bpf_map_lookup_elem(&counts, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
	total_bytes += skb->len;
	signed_acc = signed_ops(signed_acc, skb->len);
	return mix(skb->len, seed) & 0xffff;
}

SEC("xdp")
int xdp_parse(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	u32 key = 0;
	u64 *slot;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		key = 1;
	else if (bpf_ntohs(eth->h_proto) < 0x600)
		key = 2;
	slot = bpf_map_lookup_elem(&stats, &key);
	if (slot)
		*slot += 1;
	return key == 3 ? XDP_DROP : XDP_PASS;
}

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(on_unlink, int dfd, struct filename *name)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 acc = 0;
	struct event *e;

	if (filter_pid && pid != filter_pid)
		return 0;
	bpf_loop(8, loop_cb, &acc, 0);
	bpf_rcu_read_lock();
	acc += bpf_get_smp_processor_id();
	bpf_rcu_read_unlock();
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = pid;
	e->delta = acc > 100 ? (s32)acc : -1;
#ifdef NO_CORE /* the build without -g has no BTF for CO-RE */
	bpf_probe_read_kernel_str(e->name, sizeof(e->name), name);
#else
	bpf_probe_read_kernel_str(e->name, sizeof(e->name), BPF_CORE_READ(name, name));
#endif
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
