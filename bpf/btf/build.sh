#!/usr/bin/env bash
# Builds the BTF test objects in this folder (committed; rebuild after editing kinds.c):
# little-endian and big-endian (-target bpfeb) variants of kinds.c, with clang-19 because
# clang 14 drops btf_type_tag. Run from anywhere: bash bpf/btf/build.sh
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)"
flags=(-O2 -g -Wall -Wno-unused-function)
set -x
clang-19 "${flags[@]}" -target bpfel -c "$dir/kinds.c" -o "$dir/kinds.bpf.o"
clang-19 "${flags[@]}" -target bpfeb -c "$dir/kinds.c" -o "$dir/kinds-bpfeb.bpf.o"
