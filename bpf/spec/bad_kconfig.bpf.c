// Rejected by libbpf: a .kconfig extern must be bool, char, tristate, int or char array.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct pair {
	int a, b;
};

extern struct pair CONFIG_BPF_TS_PAIR __kconfig;

SEC("socket")
int use_bad(void *ctx)
{
	return CONFIG_BPF_TS_PAIR.a;
}

char LICENSE[] SEC("license") = "GPL";
