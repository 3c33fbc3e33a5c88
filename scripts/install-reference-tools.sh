#!/usr/bin/env bash
# Installs the Debian tools the test suite compares against (bpftool, llvm-objdump/readelf) and
# that rebuild bpf/ (clang, libbpf-dev headers). They are test and build references only: bpf-ts
# never runs them at run time. Called by `npm install`; does nothing when all are present.
set -u
need=()
command -v bpftool >/dev/null 2>&1 || [ -x /usr/sbin/bpftool ] || need+=(bpftool)
command -v llvm-objdump >/dev/null 2>&1 || need+=(llvm)
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v clang-19 >/dev/null 2>&1 || need+=(clang-19)
command -v llvm-objdump-19 >/dev/null 2>&1 || need+=(llvm-19)
[ -f /usr/include/bpf/bpf_helpers.h ] || need+=(libbpf-dev)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "bpf-ts: tests compare against ${need[*]}; install them (Debian: apt-get install ${need[*]})" >&2
  exit 0
fi
echo "bpf-ts: installing reference tools: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq "${need[@]}" >/dev/null || {
  echo "bpf-ts: could not install ${need[*]}; the tests that compare against them will fail" >&2
}
exit 0
