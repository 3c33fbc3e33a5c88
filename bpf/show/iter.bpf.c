// An iterator program for the `link show` test of iter links (target_name, map_id).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("iter/bpf_map")
int show_iter_maps(struct bpf_iter__bpf_map *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
