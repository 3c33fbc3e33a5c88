// Layout stress test for the BTF -> C dumper: every construct whose C reconstruction is subtle
// (bitfields, padding, packing, alignment, anonymous nesting, enum sizes, declarators). Each
// global variable below only exists to pull its type into the object's BTF.
// Build: npm run build:bpf -- bpf/c-dump/layout.bpf.c
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

struct bitfields {
	u8 a: 1;
	u8 b: 3;
	u32 c: 20;
	u64 d: 40;
	int e: 7;
	long f;
	short g: 2;
};

struct bitfield_gaps {
	int a: 3;
	int: 13;
	int b: 2;
	int: 0;
	char c;
	long: 0;
	long d: 5;
};

struct packed_ints {
	char a;
	int b;
	short c;
	long d;
} __attribute__((packed));

struct packed_tail {
	long a;
	char b;
} __attribute__((packed));

struct packed_but_aligned {
	int a;
	int b;
} __attribute__((packed));

struct holds_packed {
	char x;
	struct packed_ints p;
	char y;
};

struct aligned_member {
	char a;
	int b __attribute__((aligned(16)));
	char c;
};

struct aligned_struct {
	char a;
} __attribute__((aligned(32)));

struct holds_aligned {
	struct aligned_struct s;
	char tail;
};

struct tail_padding {
	long a;
	char b;
	char pad[3];
};

struct explicit_gap {
	char a;
	char b __attribute__((aligned(8)));
	short c __attribute__((aligned(64)));
	char d;
} __attribute__((aligned(128)));

struct nested_anon {
	int kind;
	union {
		struct {
			u16 lo;
			u16 hi;
		};
		struct {
			u8 bytes[4];
		} raw;
		u32 word;
	};
	struct {
		union {
			int i;
			float f;
		} deep;
		enum { NA_ONE = 1, NA_TWO = 2 } which;
	} inner;
	struct {
		struct {
			struct {
				char c;
			} l3;
		} l2;
	} l1;
};

struct empty {};

struct holds_empty {
	struct empty e;
	struct {} anon_empty;
	int x;
};

enum small_enum { SE_A, SE_B } __attribute__((packed));

enum signed_enum { SN_NEG = -5, SN_ZERO = 0, SN_POS = 7 };

enum big_enum { BE_SMALL = 1, BE_HUGE = 0x1234567890ULL };

enum huge_unsigned { HU_MAX = 0xffffffffffffffffULL };

enum neg_big { NB_NEG = -0x100000000LL, NB_ONE = 1 };

enum { ANON_TOP_A = 10, ANON_TOP_B = 20 };

typedef enum { TE_X, TE_Y } typedef_enum_t;

typedef struct { int q; } typedef_struct_t;

typedef int (*binop_t)(int, int);

typedef void fn_t(void);

struct with_sizes {
	enum small_enum s;
	enum big_enum b;
	enum signed_enum n;
	typedef_enum_t te;
	typedef_struct_t ts;
};

struct declarators {
	int (*fn)(void *, int);
	void (*arr[4])(void);
	int (*ptr_to_arr)[8];
	int *arr_of_ptr[8];
	char matrix[2][3][4];
	const char *const *strings;
	volatile int *const vp;
	int *restrict rp;
	void *(*returns_ptr)(const void *, ...);
	int (*(*nested)(int))(long);
	binop_t ops[2];
	fn_t *cb;
	char (*(*fn_ret_arr_ptr)(void))[16];
	const volatile u64 cvu;
	float f;
	double d;
	long double ld;
	_Bool flag;
	__int128 wide;
	unsigned __int128 uwide;
	struct declarators *self;
	int flex[];
};

struct fwd_only;
union fwd_union;

struct uses_fwd {
	struct fwd_only *fo;
	union fwd_union *fu;
};

struct cycle_b;
struct cycle_a {
	struct cycle_b *b;
	int x;
};
struct cycle_b {
	struct cycle_a a;
	struct cycle_b *self;
};

struct tagged {
	int __attribute__((btf_type_tag("user"))) *uptr;
	int __attribute__((btf_type_tag("rcu"))) __attribute__((btf_type_tag("percpu"))) *both;
};

struct bitfields g_bitfields;
struct bitfield_gaps g_bitfield_gaps;
struct holds_packed g_holds_packed;
struct packed_tail g_packed_tail;
struct packed_but_aligned g_packed_but_aligned;
struct aligned_member g_aligned_member;
struct holds_aligned g_holds_aligned;
struct tail_padding g_tail_padding;
struct explicit_gap g_explicit_gap;
struct nested_anon g_nested_anon;
struct holds_empty g_holds_empty;
struct with_sizes g_with_sizes;
struct declarators *g_declarators;
struct uses_fwd g_uses_fwd;
struct cycle_a g_cycle_a;
struct tagged g_tagged;
enum huge_unsigned g_huge_unsigned;
enum neg_big g_neg_big;
int g_anon_top = ANON_TOP_A;
const volatile int g_cv_int = 3;
const volatile struct bitfields g_cv_struct;
volatile char g_v_arr[5];

__attribute__((section("tp/syscalls/sys_enter_getpid"), used))
int prog(void *ctx)
{
	return g_cv_int + g_anon_top;
}

char LICENSE[] __attribute__((section("license"), used)) = "GPL";
