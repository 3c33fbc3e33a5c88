#!/usr/bin/env bash
# Builds the ELF/asm test objects in this folder, including the variants bpf/build.sh does not
# make: a big-endian object (-target bpfeb), one without -g (no .BTF/.BTF.ext, no DWARF), and the
# ISA v4 object (clang-19 -mcpu=v4). Run from anywhere: bash bpf/elf-asm/build.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
[ -s bpf/vmlinux.h ] || bash bpf/build.sh bpf/minimal.bpf.c >/dev/null
dir=bpf/elf-asm
# Sources are named relative to the checkout, so the objects do not depend on where they were built.
flags=(-O2 -D__TARGET_ARCH_x86 -fdebug-prefix-map="$root"=. -I bpf -I "$dir")
set -x
clang "${flags[@]}" -g -target bpf -c "$dir/programs.bpf.c" -o "$dir/programs.bpf.o"
clang "${flags[@]}" -g -target bpfeb -c "$dir/programs.bpf.c" -o "$dir/programs-bpfeb.bpf.o"
clang "${flags[@]}" -target bpf -DNO_CORE -c "$dir/programs.bpf.c" -o "$dir/programs-nodebug.bpf.o"
clang-19 "${flags[@]}" -g -target bpf -mcpu=v4 -c "$dir/isa-v4.c" -o "$dir/isa-v4.bpf.o"
