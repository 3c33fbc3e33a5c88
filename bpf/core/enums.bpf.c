// CO-RE enum value relocations: values of kernel enumerators (32-bit ENUM and 64-bit ENUM64),
// existence of present and missing enumerators, a local enum flavor, and a guarded value of a
// missing enumerator (its ldimm64 is poisoned in both slots, but it is dead code).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

enum bpf_map_type___mine {
	BPF_MAP_TYPE_RINGBUF___mine = 1000,
	BPF_MAP_TYPE_BPF_TS_MISSING___mine = 1001,
};

SEC("syscall")
int core_enums(__u64 *ctx)
{
	ctx[0] = bpf_core_enum_value(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF);
	ctx[1] = bpf_core_enum_value_exists(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF);
	ctx[2] = bpf_core_enum_value(enum bpf_map_type___mine, BPF_MAP_TYPE_RINGBUF___mine);
	ctx[3] = bpf_core_enum_value_exists(enum bpf_map_type___mine, BPF_MAP_TYPE_BPF_TS_MISSING___mine);
	ctx[4] = bpf_core_enum_value(enum perf_callchain_context, PERF_CONTEXT_MAX);
	ctx[5] = bpf_core_enum_value(enum perf_callchain_context, PERF_CONTEXT_USER);
	if (bpf_core_enum_value_exists(enum bpf_map_type___mine, BPF_MAP_TYPE_BPF_TS_MISSING___mine))
		ctx[6] = bpf_core_enum_value(enum bpf_map_type___mine, BPF_MAP_TYPE_BPF_TS_MISSING___mine);
	else
		ctx[6] = 777;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
