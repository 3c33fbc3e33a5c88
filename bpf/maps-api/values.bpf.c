// clang: clang-19
/*
 * Types and maps for the src/maps and src/btf/codec tests: padding, bitfields, packed structs,
 * anonymous unions and structs, enums of every size and signedness (ENUM64 needs clang >= 15),
 * arrays of structs, char arrays, pointers, floats, 128-bit integers. `.data` holds initialised
 * values the codec test decodes and compares with these initialisers; the maps use the same
 * types so `bpftool map dump` formats them (loaded with `bpftool prog loadall`).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

enum __attribute__((packed)) ma_tiny { TINY_A = 1, TINY_B = 200 };
enum __attribute__((packed)) ma_stiny { STINY_NEG = -3, STINY_POS = 5 };
enum __attribute__((packed)) ma_shorty { SHORTY_K = 1000, SHORTY_MAX = 65535 };
enum ma_plain { PLAIN_ZERO, PLAIN_ONE, PLAIN_BIG = 0xfffffff0u };
enum ma_signed32 { S32_NEG = -100, S32_POS = 100 };
enum ma_big64 { BIG64_SMALL = 1, BIG64_HUGE = 0x123456789abcULL };
enum ma_neg64 { NEG64_LOW = -0x100000000LL, NEG64_ONE = 1 };

struct ma_inner {
	__u16 a;
	__u64 b; /* 6 bytes of padding before */
};

struct ma_bits {
	unsigned int x : 3;
	int y : 5;
	unsigned long long z : 40;
	_Bool flag : 1;
	enum ma_tiny t : 4;
	int : 0;
	unsigned int after;
};

struct ma_packed {
	__u8 a;
	__u32 b;
	__u16 c;
} __attribute__((packed));

typedef struct ma_inner ma_inner_t;
typedef __u32 ma_u32;

struct ma_value {
	ma_u32 id;
	char name[12];
	ma_inner_t in;
	struct ma_bits bf;
	union {
		__u32 word;
		__u8 bytes4[4];
	};
	struct {
		__s16 sx;
		__s16 sy;
	};
	struct ma_packed pk;
	struct ma_inner arr[2];
	enum ma_tiny te;
	enum ma_stiny se;
	enum ma_shorty sh;
	enum ma_plain pl;
	enum ma_signed32 s32e;
	enum ma_big64 be;
	enum ma_neg64 ne;
	void *ptr;
	__s64 s64;
	__s8 s8;
	_Bool b;
	float f;
	double d;
	unsigned __int128 u128;
	const volatile __u32 cv;
	int matrix[2][3];
	__u8 raw[5];
};

struct ma_key {
	__u32 pid;
	char comm[8];
};

struct ma_value data_value = {
	.id = 0xdeadbeef,
	.name = "hello",
	.in = { .a = 0x1234, .b = 0x1122334455667788ULL },
	.bf = { .x = 5, .y = -7, .z = 0xabcdef0123ULL, .flag = 1, .t = TINY_A, .after = 77 },
	.word = 0x04030201,
	.sx = -2,
	.sy = 300,
	.pk = { .a = 0xaa, .b = 0xbbccddee, .c = 0x1122 },
	.arr = { { .a = 1, .b = 2 }, { .a = 3, .b = 0xffffffffffffffffULL } },
	.te = TINY_B,
	.se = STINY_NEG,
	.sh = SHORTY_K,
	.pl = PLAIN_BIG,
	.s32e = S32_NEG,
	.be = BIG64_HUGE,
	.ne = NEG64_LOW,
	.ptr = (void *)0x7fff0000,
	.s64 = -1234567890123LL,
	.s8 = -128,
	.b = 1,
	.f = 1.5f,
	.d = -2.25,
	.u128 = ((unsigned __int128)0x0102030405060708ULL << 64) | 0x090a0b0c0d0e0f10ULL,
	.cv = 42,
	.matrix = { { 1, -2, 3 }, { -4, 5, -6 } },
	.raw = { 9, 8, 7, 6, 5 },
};

/* ma_value without floats: bpftool v7.1 (libbpf 1.1) cannot format FLOAT, so the CLI comparisons use this. */
struct ma_mixed {
	ma_u32 id;
	char name[12];
	ma_inner_t in;
	struct ma_bits bf;
	union {
		__u32 word;
		__u8 bytes4[4];
	};
	struct {
		__s16 sx;
		__s16 sy;
	};
	struct ma_packed pk;
	struct ma_inner arr[2];
	enum ma_tiny te;
	enum ma_stiny se;
	enum ma_shorty sh;
	enum ma_signed32 s32e;
	enum ma_big64 be;
	enum ma_neg64 ne;
	void *ptr;
	__s64 s64;
	_Bool b;
	unsigned __int128 u128;
	int matrix[2][3];
	__u8 raw[5];
	char bin[4];
};

struct ma_mixed data_mixed SEC(".data.mixed") = {
	.id = 1,
	.name = "mixed",
	.in = { .a = 2, .b = 3 },
	.bf = { .x = 1, .y = -1, .z = 2, .flag = 1, .t = TINY_A, .after = 4 },
	.word = 0xa0b0c0d0,
	.sx = -5,
	.sy = 5,
	.pk = { .a = 1, .b = 2, .c = 3 },
	.arr = { { .a = 1, .b = 2 }, { .a = 3, .b = 4 } },
	.te = TINY_B,
	.se = STINY_POS,
	.sh = SHORTY_MAX,
	.s32e = S32_NEG,
	.be = BIG64_SMALL,
	.ne = NEG64_LOW,
	.ptr = (void *)0,
	.s64 = -9,
	.b = 1,
	.u128 = 77,
	.matrix = { { 1, 2, 3 }, { 4, 5, 6 } },
	.raw = { 1, 2, 3, 4, 5 },
	.bin = { 1, 'a', 0, 0 },
};

struct ma_key data_key = { .pid = 4242, .comm = "bash" };
struct ma_bits data_bits = { .x = 7, .y = 15, .z = 1, .flag = 0, .t = TINY_A, .after = 0xffffffff };
struct ma_packed data_packed = { .a = 1, .b = 0x02030405, .c = 0x0607 };
enum ma_neg64 data_neg64 = NEG64_ONE;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct ma_key);
	__type(value, struct ma_value);
} typed_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct ma_bits);
} typed_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct ma_packed);
} typed_percpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, enum ma_big64);
	__type(value, struct ma_inner);
} enum_key_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, struct ma_key);
	__type(value, struct ma_mixed);
} mixed_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, __u32);
} typed_queue SEC(".maps");

SEC("socket")
int maps_api_prog(void *ctx)
{
	__u32 k = 0;
	void *v = bpf_map_lookup_elem(&typed_array, &k);
	return v ? 1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
