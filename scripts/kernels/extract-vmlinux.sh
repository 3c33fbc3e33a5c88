#!/usr/bin/env bash
# extract-vmlinux.sh VMLINUZ OUT
#
# Writes the uncompressed kernel ELF inside an x86 bzImage to OUT.
#
# Why: under TCG (no usable KVM here) the boot stub's decompression of a 10+ MB payload costs
# seconds per boot, while QEMU boots an ELF vmlinux directly through its PVH entry note
# (CONFIG_PVH=y in Debian's kernels) in a fraction of that.
#
# How (the same idea as the kernel's scripts/extract-vmlinux, written anew): the bzImage holds
# the compressed vmlinux at an offset we do not parse; search the file for each format's magic
# bytes, decompress from every candidate offset, and keep the first output that is an ELF file.
# Decompressors complain about the bytes after the payload (the boot stub's trailer): that is
# expected, so their exit status is ignored and only the ELF magic of the output decides.
set -euo pipefail
# Binary matches are not valid UTF-8: in a UTF-8 locale bash's `read` drops such lines.
export LC_ALL=C

if [ $# -ne 2 ]; then
  echo "usage: $0 VMLINUZ OUT" >&2
  exit 2
fi
in=$1
out=$2
[ -r "$in" ] || { echo "extract-vmlinux: cannot read $in" >&2; exit 2; }

is_elf() {
  [ -s "$1" ] && [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')" = "7f454c46" ]
}

# name | magic as a grep -P byte pattern | decompressor reading stdin
formats=(
  "zstd|\\x28\\xb5\\x2f\\xfd|zstd -dcq"
  "xz|\\xfd\\x37\\x7a\\x58\\x5a\\x00|xz -dcq --single-stream"
  "gzip|\\x1f\\x8b\\x08|gzip -dcq"
  "lz4|\\x02\\x21\\x4c\\x18|lz4 -dcq"
  "lzma|\\x5d\\x00\\x00\\x00|xz -dcq --format=lzma"
  "bzip2|BZh|bzip2 -dcq"
)

tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT

for f in "${formats[@]}"; do
  IFS='|' read -r name magic cmd <<<"$f"
  tool=${cmd%% *}
  command -v "$tool" >/dev/null 2>&1 || continue
  # grep -obUaP prints "offset:match" for every occurrence of the magic in the binary file.
  while read -r off; do
    [ -n "$off" ] || continue
    tail -c +"$((off + 1))" "$in" | $cmd >"$tmp" 2>/dev/null || true
    if is_elf "$tmp"; then
      mv "$tmp" "$out"
      echo "extract-vmlinux: $name payload at offset $off -> $out ($(stat -c %s "$out") bytes)" >&2
      exit 0
    fi
  done < <({ grep -obUaP "$magic" "$in" || true; } | cut -d: -f1)
done

echo "extract-vmlinux: no compressed ELF kernel found in $in (tried zstd, xz, gzip, lz4, lzma, bzip2; install the missing decompressor?)" >&2
exit 1
