#!/usr/bin/env bash
# Rebuilds every committed BPF object in bpf/ (and examples/) from its C source:
#   npm run build:bpf            # all
#   npm run build:bpf -- FILE.bpf.c ...   # just these (not the variants of bpf/elf-asm, bpf/btf)
# vmlinux.h comes from this kernel's BTF, dumped by our own `bpf-ts btf dump ... format c`
# (bpftool's is used only until that command exists). Objects whose first line says
# `// clang: clang-19` are built with clang-19 (needed for bpf_core_type_matches and friends).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
vmlinux_h="bpf/vmlinux.h"
if [ ! -s "$vmlinux_h" ] || [ /sys/kernel/btf/vmlinux -nt "$vmlinux_h" ]; then
  if ./bin/bpf-ts btf dump file /sys/kernel/btf/vmlinux format c > "$vmlinux_h.tmp" 2>/dev/null; then
    mv "$vmlinux_h.tmp" "$vmlinux_h"
  else
    rm -f "$vmlinux_h.tmp"
    echo "build.sh: bpf-ts btf dump format c failed; using bpftool for vmlinux.h" >&2
    bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$vmlinux_h"
  fi
fi
if [ $# -gt 0 ]; then sources=("$@"); else mapfile -t sources < <(find bpf examples -name '*.bpf.c' | sort); fi
for src in "${sources[@]}"; do
  obj="${src%.c}.o"
  cc=clang
  if head -n1 "$src" | grep -q 'clang: clang-19'; then cc=clang-19; fi
  # Objects that must not see vmlinux.h (legacy map definitions, plain headers) say so.
  echo "  BPF  $obj ($cc)"
  # -fdebug-prefix-map: sources are named relative to the checkout (./bpf/...), so an object
  # is the same bytes wherever it was built and tests find its source in any clone.
  "$cc" -O2 -g -target bpf -D__TARGET_ARCH_x86 -fdebug-prefix-map="$root"=. -I bpf -I "$(dirname "$src")" -c "$src" -o "$obj"
done
# The folders with variants bpf/build.sh cannot express (byte order, no -g, -mcpu=v4).
if [ $# -eq 0 ]; then
  bash bpf/elf-asm/build.sh
  bash bpf/btf/build.sh
fi
