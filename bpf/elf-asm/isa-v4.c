// clang: clang-19
// ISA v3/v4 instructions for the disassembler tests, built with -mcpu=v4 by build.sh in this
// folder (not named *.bpf.c so bpf/build.sh does not rebuild it with the default CPU):
// sdiv/smod, movsx, bswap, sign-extending loads, 32-bit jumps, atomics with fetch, xchg, cmpxchg,
// may_goto and gotol. The program loads as a socket filter.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct cell);
} cells SEC(".maps");

struct cell {
	s64 a;
	s64 b;
	s8 small;
	s16 mid;
	s32 word;
	u64 flags;
	u64 swapped;
};

static __noinline s64 arith(s64 a, s64 b, s8 c, s16 d, s32 e)
{
	s64 r = 0;
	if (b != 0) {
		r = a / b;
		r += a % b;
	}
	r += (s64)c + (s64)d + (s64)e;
	if (c != 0) {
		r += (s32)e / (s32)c;
		r -= (s32)e % (s32)c;
		r += (s64)(s8)(e + d);
	}
	if (d > 7)
		r %= d;
	if ((s32)a > e)
		r ^= 0x55;
	return r;
}

SEC("socket")
int v4_ops(struct __sk_buff *skb)
{
	u32 key = 0;
	struct cell *c = bpf_map_lookup_elem(&cells, &key);
	s64 r;

	if (!c)
		return 0;
	r = arith(c->a, c->b, c->small, c->mid, c->word);
	r += *(volatile s32 *)&c->word;
	c->swapped = __builtin_bswap64(c->swapped) + __builtin_bswap32((u32)r) + __builtin_bswap16((u16)r);
	__sync_fetch_and_or(&c->flags, 1);
	__sync_fetch_and_and(&c->flags, ~2ull);
	__sync_fetch_and_xor(&c->flags, 4);
	r += __sync_fetch_and_add(&c->flags, 8);
	r += __sync_fetch_and_or(&c->flags, 16);
	r += __sync_fetch_and_and(&c->flags, ~32ull);
	r += __sync_fetch_and_xor(&c->flags, 64);
	r += __sync_lock_test_and_set(&c->flags, 128);
	r += __sync_val_compare_and_swap(&c->flags, 128, 256);
	r += __sync_fetch_and_add((s32 *)&c->word, 1);
	asm volatile("may_goto +1\n\tr0 = 0\n\tgotol +0" ::: "r0");
	return (int)r & 0xff;
}

char LICENSE[] SEC("license") = "GPL";
