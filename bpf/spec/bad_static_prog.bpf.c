// Rejected by libbpf: "program is static and not supported" (static function outside .text).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("socket")
static __attribute__((used)) int hidden_prog(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
