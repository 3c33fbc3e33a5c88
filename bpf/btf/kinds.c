// BTF kind coverage corpus for src/btf tests: every BTF kind clang emits (enums signed and
// unsigned, enum64, bitfields, float, decl and type tags, datasecs, var linkage, func protos with
// varargs, fwd, modifiers). Standalone: no vmlinux.h, so its BTF stays small.
// Built by bpf/btf/build.sh (clang-19 for btf_type_tag), little- and big-endian.

#define SEC(name) __attribute__((section(name), used))
#define __tag(x) __attribute__((btf_decl_tag(x)))
#define __type_tag(x) __attribute__((btf_type_tag(x)))

typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;

enum color { RED, GREEN = 5, BLUE = 0xfffffff0u };
enum sign { NEG = -2, ZERO = 0, POS = 7 };
enum big { SMALL = 1, HUGE = 0xfedcba9876543210ULL };
enum sbig { MINUS = -5000000000LL, PLUS = 1 };

struct fwd_only;
union fwd_union;

struct bits {
	u32 a : 3;
	u32 b : 13;
	int c : 7;
	unsigned char d;
	u64 e : 40;
	_Bool flag;
	char name[6];
} __tag("bits_struct");

union num {
	float f;
	double d;
	long double ld;
	u64 raw;
};

typedef int (*printf_fn)(const char *fmt, ...);
typedef void (*cb_fn)(struct fwd_only *p, union fwd_union *u, volatile int *restrict vp);

struct holder {
	struct bits b;
	union num n;
	enum color c;
	enum sign s;
	enum big g;
	enum sbig sg;
	printf_fn pf;
	cb_fn cb;
	int __type_tag("user") *uptr;
	const volatile s8 cv;
	int matrix[2][3];
	struct { int x, y; } anon_struct;
	union { int i; float fl; };
};

struct holder global_holder SEC(".data");
int counter __tag("counter_var") = 1;
static int hidden_static = 3;
__attribute__((visibility("hidden"))) int hidden_global = 4;
const volatile u64 config_value = 42;
int zeroed;
char buffer[16] SEC(".data.custom");
extern int some_extern __attribute__((weak));

static __attribute__((noinline)) int helper(int x __tag("param_tag"), struct holder *h) __tag("helper_tag")
{
	return x + h->c + hidden_static;
}

int global_fn(struct holder *h, enum big g)
{
	return helper((int)g, h) + (int)h->n.raw;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int prog(void *ctx)
{
	counter += helper(zeroed, &global_holder) + hidden_global + (int)config_value + buffer[1];
	if (&some_extern)
		counter += some_extern;
	return global_fn(&global_holder, HUGE);
}

char LICENSE[] SEC("license") = "GPL";
