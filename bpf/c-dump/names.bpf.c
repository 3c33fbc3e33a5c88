// Name clashes for the BTF -> C dumper: C allows the same struct tag, typedef name or enumerator
// in different scopes, BTF keeps them all, and a header needs them renamed (`name___2`).
// Types declared inside a block reach BTF through the CO-RE type-id builtin.
// Build: npm run build:bpf -- bpf/c-dump/names.bpf.c
struct clash {
	int outer;
};

typedef int clash_t;

enum clash_enum { CLASH_A = 1, CLASH_B = 2 };

union clash_union {
	int i;
};

struct clash_user {
	struct clash c;
	clash_t t;
	enum clash_enum e;
	union clash_union u;
};

struct clash_user g_user;

__attribute__((section("tp/syscalls/sys_enter_getpid"), used))
int prog(void *ctx)
{
	long ids = 0;
	{
		struct clash { long inner; struct clash *next; };
		typedef long clash_t;
		enum clash_enum { CLASH_A = 10, CLASH_B = 20, CLASH_C = 30 };
		union clash_union { long l; clash_t t; };
		struct clash_holder { struct clash c; clash_t t; enum clash_enum e; union clash_union u; };
		ids += __builtin_btf_type_id(*(struct clash_holder *)0, 0);
	}
	{
		struct clash { char third; };
		enum { CLASH_A = 100 } anon;
		struct clash_holder { struct clash c; int n; };
		ids += __builtin_btf_type_id(*(struct clash_holder *)0, 0);
		ids += __builtin_btf_type_id(anon, 0);
	}
	return ids;
}

char LICENSE[] __attribute__((section("license"), used)) = "GPL";
