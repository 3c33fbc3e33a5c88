// clang: clang-19
/*
 * C layout rules for the skeleton codecs (test/skeleton/layout.test.ts), one struct per rule:
 * padding, alignment, bitfields, nested and anonymous structs/unions, arrays (of structs,
 * multi-dimensional, char and byte arrays), enums of every size and signedness, packed structs.
 *
 * `fill` writes known values into the `out_*` globals (and a typed hash map); the test reads them
 * through the generated skeleton. The test writes the same values into the `in_*` globals and
 * runs `check`, which sets bit N of `fails_<rule>` when field N is not what C expects.
 * Each FIELDS list below is the single source of the values on the C side.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

enum __attribute__((packed)) l_e8 { E8_A = 1, E8_B = 250 };
enum __attribute__((packed)) l_se8 { SE8_NEG = -100, SE8_POS = 100 };
enum __attribute__((packed)) l_e16 { E16_A = 300, E16_B = 65000 };
enum __attribute__((packed)) l_se16 { SE16_NEG = -30000, SE16_POS = 2 };
enum l_e32 { E32_A = 7, E32_B = 0xfffffff0u };
enum l_se32 { SE32_NEG = -2000000000, SE32_POS = 5 };
enum l_e64 { E64_A = 1, E64_B = 0xfedcba9876543210ULL };
enum l_se64 { SE64_NEG = -0x123456789LL, SE64_POS = 3 };

/* Interior padding after small members, tail padding to the 8-byte alignment. */
struct l_padding {
	char c;
	__u64 u64;
	__u16 u16;
	__u32 u32;
	__u8 u8;
	__s64 s64;
	char tail;
};

/* Over-aligned member (16), a nested struct's own alignment, tail padding to 16. */
struct l_align {
	__u8 a;
	__u64 b __attribute__((aligned(16)));
	__u16 c;
	struct {
		__u8 x;
		__u32 y;
	} nested;
	__u8 last;
};

/* Bitfields: 1..40 bits, signed and unsigned, crossing bytes and words, bool and enum bitfields, a zero-width break. */
struct l_bits {
	unsigned int a : 1;
	unsigned int b : 3;
	int c : 5;
	unsigned int d : 13;
	unsigned long long e : 33;
	long long f : 40;
	_Bool g : 1;
	enum l_e8 h : 8;
	unsigned int : 0;
	unsigned int i : 7;
	__u8 j;
	unsigned short k : 9;
	int l : 2;
};

/* Named nested struct/union members, an anonymous struct holding an anonymous union, an anonymous union holding an anonymous struct. */
struct l_nested {
	__u32 id;
	struct {
		__u16 lo;
		__u16 hi;
	} pair;
	union {
		__u32 word;
		__u8 bytes[4];
	} u;
	struct {
		__u8 x;
		union {
			__u16 y;
			__s16 sy;
		};
	};
	union {
		__u64 big;
		struct {
			__u32 lo32;
			__u32 hi32;
		};
	};
};

struct l_point {
	__s32 x;
	__s32 y;
	__u8 tag;
};

/* Arrays of structs (with tail padding per element), two dimensions, char and byte arrays, 64-bit elements. */
struct l_arrays {
	struct l_point pts[3];
	__u16 grid[2][3];
	char name[16];
	__u8 raw[6];
	__s64 wide[2];
};

/* Enums of 1, 2, 4 and 8 bytes, unsigned and signed. */
struct l_enums {
	enum l_e8 e8;
	enum l_se8 se8;
	enum l_e16 e16;
	enum l_se16 se16;
	enum l_e32 e32;
	enum l_se32 se32;
	enum l_e64 e64;
	enum l_se64 se64;
};

/* Packed: no padding, misaligned 64/32/16-bit members; and a packed struct inside a packed struct. */
struct l_packed {
	__u8 a;
	__u64 b;
	__u16 c;
	__u32 d;
} __attribute__((packed));

struct l_packed_outer {
	__u8 tag;
	struct l_packed p;
	__u32 after;
	_Bool flag;
} __attribute__((packed));

/* field expression, value: the order gives the fails_<rule> bit. */
#define PADDING_FIELDS(X) \
	X(c, 'P') X(u64, 0x1122334455667788ULL) X(u16, 0xbeef) X(u32, 0xdeadbeefu) X(u8, 0xa5) \
	X(s64, -1234567890123456789LL) X(tail, 'T')
#define ALIGN_FIELDS(X) \
	X(a, 0x11) X(b, 0x8877665544332211ULL) X(c, 0x3344) X(nested.x, 0x55) X(nested.y, 0x66778899u) X(last, 0x77)
#define BITS_FIELDS(X) \
	X(a, 1) X(b, 5) X(c, -11) X(d, 0x1abc) X(e, 0x1fedcba98ULL) X(f, -0x7edcba9876LL) X(g, 1) X(h, E8_B) \
	X(i, 0x5a) X(j, 0xc3) X(k, 0x1a5) X(l, -2)
#define NESTED_FIELDS(X) \
	X(id, 42) X(pair.lo, 0x1111) X(pair.hi, 0x2222) X(u.word, 0x04030201u) X(x, 0x7f) X(sy, -2) \
	X(lo32, 0xcafef00du) X(hi32, 0x0badc0deu)
#define ARRAYS_FIELDS(X) \
	X(pts[0].x, -1) X(pts[0].y, 2) X(pts[0].tag, 3) X(pts[1].x, 2147483647) X(pts[1].y, -2147483647 - 1) \
	X(pts[1].tag, 0xff) X(pts[2].x, 0) X(pts[2].y, 9) X(pts[2].tag, 10) \
	X(grid[0][0], 1) X(grid[0][1], 2) X(grid[0][2], 3) X(grid[1][0], 400) X(grid[1][1], 500) X(grid[1][2], 65535) \
	X(name[0], 'l') X(name[1], 'a') X(name[2], 'y') X(name[3], 'o') X(name[4], 'u') X(name[5], 't') X(name[6], 0) \
	X(raw[0], 0) X(raw[1], 1) X(raw[2], 0x80) X(raw[3], 0xfe) X(raw[4], 0xff) X(raw[5], 7) \
	X(wide[0], -9000000000000000000LL) X(wide[1], 9000000000000000000LL)
#define ENUMS_FIELDS(X) \
	X(e8, E8_B) X(se8, SE8_NEG) X(e16, E16_B) X(se16, SE16_NEG) X(e32, E32_B) X(se32, SE32_NEG) X(e64, E64_B) X(se64, SE64_NEG)
#define PACKED_FIELDS(X) \
	X(tag, 0xab) X(p.a, 0x01) X(p.b, 0x0203040506070809ULL) X(p.c, 0x0a0b) X(p.d, 0x0c0d0e0fu) X(after, 0x10111213u) X(flag, 1)

struct l_padding out_padding, in_padding;
struct l_align out_align, in_align;
struct l_bits out_bits, in_bits;
struct l_nested out_nested, in_nested;
struct l_arrays out_arrays, in_arrays;
struct l_enums out_enums, in_enums;
struct l_packed_outer out_packed, in_packed;

/* Bit N set: field N of the rule's FIELDS list differed from the C value in the last `check` run. */
__u64 fails_padding, fails_align, fails_bits, fails_nested, fails_arrays, fails_enums, fails_packed;
/* How many times `check` ran (the test checks it moved, so all-zero fails are a real pass). */
__u32 checks;
/* sizeof() of each rule's struct as clang laid it out, in the order above. */
__u32 sizes[7];

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, struct l_point);
	__type(value, struct l_enums);
} by_point SEC(".maps");

#define SET(field, value) out.field = (value);
#define CMP(field, value) if (in.field != (value)) f |= 1ULL << n; n++;

SEC("syscall")
int fill(void *ctx)
{
	{
		struct l_padding out = {};
		PADDING_FIELDS(SET)
		out_padding = out;
	}
	{
		struct l_align out = {};
		ALIGN_FIELDS(SET)
		out_align = out;
	}
	{
		struct l_bits out = {};
		BITS_FIELDS(SET)
		out_bits = out;
	}
	{
		struct l_nested out = {};
		NESTED_FIELDS(SET)
		out_nested = out;
	}
	{
		struct l_arrays out = {};
		ARRAYS_FIELDS(SET)
		out_arrays = out;
	}
	{
		struct l_enums out = {};
		ENUMS_FIELDS(SET)
		out_enums = out;
		struct l_point key = { .x = 1, .y = 2, .tag = 3 };
		bpf_map_update_elem(&by_point, &key, &out, BPF_ANY);
	}
	{
		struct l_packed_outer out = {};
		PACKED_FIELDS(SET)
		out_packed = out;
	}
	sizes[0] = sizeof(struct l_padding);
	sizes[1] = sizeof(struct l_align);
	sizes[2] = sizeof(struct l_bits);
	sizes[3] = sizeof(struct l_nested);
	sizes[4] = sizeof(struct l_arrays);
	sizes[5] = sizeof(struct l_enums);
	sizes[6] = sizeof(struct l_packed_outer);
	return 0;
}

SEC("syscall")
int check(void *ctx)
{
	__u64 f;
	int n;
	{
		struct l_padding in = in_padding;
		f = 0; n = 0;
		PADDING_FIELDS(CMP)
		fails_padding = f;
	}
	{
		struct l_align in = in_align;
		f = 0; n = 0;
		ALIGN_FIELDS(CMP)
		fails_align = f;
	}
	{
		struct l_bits in = in_bits;
		f = 0; n = 0;
		BITS_FIELDS(CMP)
		fails_bits = f;
	}
	{
		struct l_nested in = in_nested;
		f = 0; n = 0;
		NESTED_FIELDS(CMP)
		fails_nested = f;
	}
	{
		struct l_arrays in = in_arrays;
		f = 0; n = 0;
		ARRAYS_FIELDS(CMP)
		fails_arrays = f;
	}
	{
		struct l_enums in = in_enums;
		f = 0; n = 0;
		ENUMS_FIELDS(CMP)
		fails_enums = f;
	}
	{
		struct l_packed_outer in = in_packed;
		f = 0; n = 0;
		PACKED_FIELDS(CMP)
		fails_packed = f;
	}
	checks++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
