// Reads r2 before anything wrote it (only r1, the context, and r10 are live at entry).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("socket")
__attribute__((naked)) int uninit_reg(void)
{
	asm volatile("r0 = r2;"
		     "exit;");
}

char LICENSE[] SEC("license") = "GPL";
