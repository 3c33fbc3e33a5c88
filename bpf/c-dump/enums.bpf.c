// clang: clang-19
// Enum encodings for the BTF -> C dumper: clang 15+ emits signed ENUM (kind flag) and ENUM64,
// which clang 14 cannot. Sizes 1 and 8 exercise libbpf's enum size handling.
// Build: npm run build:bpf -- bpf/c-dump/enums.bpf.c (clang-19, per the first line)
enum small_enum { SE_A, SE_B } __attribute__((packed));

enum small_signed { SS_NEG = -1, SS_POS = 1 } __attribute__((packed));

enum short_enum { SH_A = 0x100, SH_B } __attribute__((packed));

enum signed_enum { SN_MIN = -2147483647 - 1, SN_NEG = -5, SN_ZERO = 0, SN_POS = 7 };

enum unsigned_enum { UN_ZERO = 0, UN_MAX = 0xffffffffU };

enum big_enum { BE_SMALL = 1, BE_HUGE = 0x1234567890ULL };

enum huge_unsigned { HU_ZERO = 0, HU_MAX = 0xffffffffffffffffULL };

enum neg_big { NB_MIN = -0x7fffffffffffffffLL - 1, NB_NEG = -0x100000000LL, NB_ONE = 1 };

enum word_mode { WM_A = 1, WM_B = 2 } __attribute__((mode(word)));

typedef enum { TE64_A = 0x100000000ULL, TE64_B } typedef_enum64_t;

struct enum_members {
	enum small_enum s;
	enum small_signed ss;
	enum short_enum sh;
	enum signed_enum n;
	enum unsigned_enum u;
	enum big_enum b;
	enum huge_unsigned h;
	enum neg_big nb;
	enum word_mode wm;
	typedef_enum64_t te;
	enum { IN64_A = -1LL, IN64_B = 0x7fffffffffffLL } inline64;
	enum small_enum bits: 1;
	enum signed_enum sbits: 4;
};

struct enum_members g_enum_members;

__attribute__((section("tp/syscalls/sys_enter_getpid"), used))
int prog(void *ctx)
{
	return g_enum_members.n;
}

char LICENSE[] __attribute__((section("license"), used)) = "GPL";
