// Legacy map definitions in SEC("maps"), as pre-BTF-map objects wrote them. No vmlinux.h: old
// objects were built against plain UAPI headers, and `struct bpf_map_def` left libbpf's headers
// with libbpf 1.0, so it is spelled out here the way iproute2 and old samples did.
/* The fixed-width types bpf_helper_defs.h needs, without <linux/types.h> (whose <asm/types.h>
 * is not on the BPF target's include path). */
typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

/* BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY; BPF_F_NO_PREALLOC = 1 */
struct bpf_map_def SEC("maps") legacy_hash = {
	.type = 1,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 128,
	.map_flags = 1,
};

struct bpf_map_def SEC("maps") legacy_array = {
	.type = 2,
	.key_size = sizeof(__u32),
	.value_size = 16,
	.max_entries = 4,
};

struct bpf_map_def SEC("maps") legacy_percpu = {
	.type = 6,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 1,
};

struct __sk_buff;

SEC("socket")
int legacy_count(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *val = bpf_map_lookup_elem(&legacy_hash, &key);
	__u32 *pc = bpf_map_lookup_elem(&legacy_percpu, &key);

	if (val)
		__sync_fetch_and_add(val, 1);
	if (pc)
		*pc += 1;
	return bpf_map_lookup_elem(&legacy_array, &key) ? 1 : 0;
}

char _license[] SEC("license") = "GPL";
__u32 _version SEC("version") = 0x060c00;
