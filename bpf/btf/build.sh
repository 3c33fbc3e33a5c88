#!/usr/bin/env bash
# Builds the BTF test objects in this folder (committed; rebuild after editing kinds.c):
# little-endian and big-endian (-target bpfeb) variants of kinds.c, with clang-19 because
# clang 14 drops btf_type_tag. Run from anywhere: bash bpf/btf/build.sh
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$dir/../.." && pwd)"
# Sources are named relative to the checkout, so the objects do not depend on where they were built.
flags=(-O2 -g -Wall -Wno-unused-function -fdebug-prefix-map="$root"=.)
set -x
clang-19 "${flags[@]}" -target bpfel -c "$dir/kinds.c" -o "$dir/kinds.bpf.o"
clang-19 "${flags[@]}" -target bpfeb -c "$dir/kinds.c" -o "$dir/kinds-bpfeb.bpf.o"
