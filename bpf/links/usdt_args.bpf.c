// USDT arguments through the spec map bpf-ts fills at attach time, laid out as libbpf's
// usdt.bpf.h `__bpf_usdt_specs` (struct __bpf_usdt_spec). The reader is written out here
// because usdt.bpf.h's global __hidden bpf_usdt_arg() does not load with bpf-ts's loader yet
// (libbpf turns hidden global functions static in BTF before loading; see test/links).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct usdt_arg_spec {
	__u64 val_off;
	__u32 arg_type; /* 0 const, 1 register, 2 register-relative memory */
	short reg_off;
	bool arg_signed;
	char arg_bitshift;
};

struct usdt_spec {
	struct usdt_arg_spec args[12];
	__u64 usdt_cookie;
	short arg_cnt;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, int);
	__type(value, struct usdt_spec);
} __bpf_usdt_specs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} usdt_out SEC(".maps");

static __always_inline void add(__u32 slot, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&usdt_out, &slot);
	if (p)
		__sync_fetch_and_add(p, v);
}

SEC("usdt")
int on_tick_arg(struct pt_regs *ctx)
{
	int id = bpf_get_attach_cookie(ctx);
	struct usdt_spec *spec = bpf_map_lookup_elem(&__bpf_usdt_specs, &id);
	unsigned long val = 0;

	if (!spec || spec->arg_cnt < 1)
		return 0;
	struct usdt_arg_spec *a = &spec->args[0];
	if (a->arg_type == 0) {
		val = a->val_off;
	} else {
		bpf_probe_read_kernel(&val, sizeof(val), (void *)ctx + a->reg_off);
		if (a->arg_type == 2)
			bpf_probe_read_user(&val, sizeof(val), (void *)val + a->val_off);
	}
	val <<= a->arg_bitshift;
	if (a->arg_signed)
		val = (unsigned long)((long)val >> a->arg_bitshift);
	else
		val >>= a->arg_bitshift;
	add(0, 1);                  // hits
	add(1, val);                // sum of argument 0
	add(2, spec->usdt_cookie);  // sum of the user cookie
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
