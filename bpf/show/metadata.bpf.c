// A program with bpftool-style metadata (`bpf_metadata_*` variables in .rodata) for the
// `prog show` metadata tests: a string, signed and unsigned integers, a bool, an array of ints,
// a struct with a bitfield and an enum.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

enum show_color { SHOW_RED = 1, SHOW_GREEN = 2 };

struct show_meta_struct {
	int a;
	unsigned int flag : 3;
	unsigned int rest : 5;
	enum show_color color;
};

volatile const char bpf_metadata_name[] SEC(".rodata") = "show-metadata";
volatile const int bpf_metadata_negative SEC(".rodata") = -42;
volatile const unsigned long long bpf_metadata_big SEC(".rodata") = 18446744073709551615ULL;
volatile const bool bpf_metadata_enabled SEC(".rodata") = true;
volatile const int bpf_metadata_list[3] SEC(".rodata") = { 1, 2, 3 };
volatile const struct show_meta_struct bpf_metadata_record SEC(".rodata") = { .a = 7, .flag = 5, .rest = 17, .color = SHOW_GREEN };
volatile const enum show_color bpf_metadata_unnamed_color SEC(".rodata") = 3;
volatile const int not_metadata SEC(".rodata") = 99;

SEC("socket")
int show_metadata(struct __sk_buff *skb)
{
	return not_metadata;
}

char LICENSE[] SEC("license") = "GPL";
