// Keeps the verifier busy for its whole budget: a bounded loop it walks iteration by iteration
// until the 1M-instruction limit (E2BIG). Long enough that a signal arriving every millisecond
// interrupts every attempt (EAGAIN), which is what the loader's EAGAIN error is tested with.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tp/syscalls/sys_enter_getppid")
int slow_verify(void *ctx)
{
	volatile __u64 sum = 0;

	for (__u32 i = 0; i < (1U << 22); i++)
		sum += i;
	return sum & 1;
}

char LICENSE[] SEC("license") = "GPL";
