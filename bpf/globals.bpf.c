// Global data in every section libbpf turns into an internal map: .data, .rodata (const volatile
// knobs set before load), .bss, custom .data.<name>/.rodata.<name> sections, and string literals
// clang places in .rodata.str1.1.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* .rodata: configuration set from userspace before load. */
const volatile __u64 min_duration_ns = 0;
const volatile __s32 target_pid = -1;
const volatile bool verbose = false;
const volatile char prefix[8] = "tsk:";

/* .data: initialised, writable. */
__u32 sample_rate = 100;
__s16 adjust = -3;
__u64 thresholds[4] = { 10, 20, 30, 40 };

/* .bss: zeroed. */
__u64 total_events;
struct {
	__u32 hits;
	__u32 misses;
} stats;

/* Custom sections: each becomes its own map (<obj>.data.custom, ...). */
__u32 custom_counter SEC(".data.custom") = 7;
__u64 custom_big SEC(".data.custom") = 0x1122334455667788ULL;
const volatile __u32 custom_limit SEC(".rodata.limits") = 4096;
__u32 mysec_flag SEC(".data.mysec") = 1;

/* Only a hidden global: libbpf treats it as static, so this map is not mmap-able. */
__hidden __u32 hidden_only SEC(".data.hidden") = 3;

/* A static variable still gets a symbol and a BTF VAR (static linkage). */
static __u32 hidden_state = 5;

SEC("tp/syscalls/sys_enter_openat")
int count_openat(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (target_pid != -1 && pid != (__u32)target_pid)
		return 0;
	if (verbose)
		bpf_printk("openat by %d, rate %u", pid, sample_rate);
	if (min_duration_ns > thresholds[adjust & 3])
		return 0;
	total_events++;
	stats.hits += custom_counter + custom_limit + mysec_flag + hidden_state + hidden_only;
	custom_big++;
	hidden_state++;
	bpf_printk("%s done", prefix);
	{
		/* A bare literal (not a static array) lands in the mergeable .rodata.str1.1. */
		char buf[16];

		bpf_probe_read_kernel_str(buf, sizeof(buf), "literal-string");
		bpf_probe_read_kernel_str(buf, sizeof(buf), "another");
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
