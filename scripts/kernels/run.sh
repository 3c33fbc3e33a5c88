#!/usr/bin/env bash
# scripts/kernels/run.sh — run bpf-ts's kernel-facing tests on Debian's 6.1 and 6.12 kernels in
# QEMU. See docs/kernel-matrix.md for the design; `run.sh --help` for the options.
#
# Per kernel: pick the newest Debian package of the series (apt-cache), `apt-get download` it once
# into the cache, unpack it, extract the uncompressed vmlinux, resolve the modules of
# modules.txt with their depends= closure, write an initramfs (busybox-static + init.sh + the
# modules), and boot it with TCG. The guest mounts this machine's root read-only (9p) under a tmpfs
# overlay and runs the host's node on the host's checkout, so nothing is installed in the guest.
set -euo pipefail
export LC_ALL=C

# The whole script is one compound command, parsed before it starts: bash otherwise reads a script
# as it runs, and editing run.sh during a 10-minute VM run would break the running copy.
{

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

usage() {
  cat <<EOF
usage: scripts/kernels/run.sh [KERNEL...|all] [OPTIONS] [-- MOCHA_ARGS...]

KERNEL is 6.1 or 6.12 (default: all). Runs the test files listed in scripts/kernels/suite.txt
inside each kernel and exits non-zero if any test failed or any VM gave no result.

Options:
  --suite FILE        test list to use instead of scripts/kernels/suite.txt
  --no-build          do not run 'npx tsc -p .' first (dist/ must be current)
  --cmd 'COMMAND'     run a shell command in the guest's checkout instead of mocha
  --shell             boot into an interactive shell in the guest (one kernel)
  --timeout SECONDS   wall-clock limit per VM (default ${BPF_TS_VM_TIMEOUT:-2400})
  --mocha-timeout MS  mocha's per-test timeout in the guest (default 300000: TCG is slow)
  --smp N             guest CPUs (default ${BPF_TS_VM_SMP:-2})
  --mem SIZE          guest memory (default ${BPF_TS_VM_MEM:-2G})
  --mount LIST        extra guest mounts, comma-separated: bpffs,tracefs,debugfs
                      (default none: a fresh machine's bpffs/tracefs are bpf-ts's job)
  --quiet             do not stream the guest console (it is still saved in the run directory)
  -h, --help          this text

MOCHA_ARGS go to mocha in the guest (e.g. --grep kprobe). If they name existing test files
(dist/test/...js), those files are run instead of the suite.

Environment:
  BPF_TS_KERNELS_CACHE   cache of .debs, unpacked kernels and run logs
                         (default: .cache/kernels in the checkout when git ignores it,
                         else /var/cache/bpf-ts-kernels)
  BPF_TS_KERNEL_PKG_6_1, BPF_TS_KERNEL_PKG_6_12
                         pin the Debian package (e.g. linux-image-6.1.0-56-amd64-unsigned)
EOF
}

die() {
  echo "kernels: $*" >&2
  exit 2
}
log() { echo "kernels: $*" >&2; }

# ---------------------------------------------------------------------------------------------
# Arguments

KERNELS=()
SUITE=$HERE/suite.txt
BUILD=1
CMD=
SHELL_MODE=0
TIMEOUT=${BPF_TS_VM_TIMEOUT:-2400}
MOCHA_TIMEOUT=300000
SMP=${BPF_TS_VM_SMP:-2}
MEM=${BPF_TS_VM_MEM:-2G}
MOUNTS=
QUIET=0
MOCHA_ARGS=()

ALL_KERNELS=(6.1 6.12)

while [ $# -gt 0 ]; do
  case $1 in
    all) KERNELS+=("${ALL_KERNELS[@]}") ;;
    6.1 | 6.12) KERNELS+=("$1") ;;
    --suite) SUITE=${2:?--suite needs a file}; shift ;;
    --no-build) BUILD=0 ;;
    --cmd) CMD=${2:?--cmd needs a command}; shift ;;
    --shell) SHELL_MODE=1 ;;
    --timeout) TIMEOUT=${2:?--timeout needs seconds}; shift ;;
    --mocha-timeout) MOCHA_TIMEOUT=${2:?--mocha-timeout needs milliseconds}; shift ;;
    --smp) SMP=${2:?--smp needs a number}; shift ;;
    --mem) MEM=${2:?--mem needs a size}; shift ;;
    --mount) MOUNTS=${2:?--mount needs a list}; shift ;;
    --quiet) QUIET=1 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; MOCHA_ARGS=("$@"); break ;;
    *) usage >&2; die "unknown argument '$1' (kernels: ${ALL_KERNELS[*]} or all)" ;;
  esac
  shift
done
[ ${#KERNELS[@]} -gt 0 ] || KERNELS=("${ALL_KERNELS[@]}")
# Deduplicate, keep order ("6.1 all" runs 6.1 once).
mapfile -t KERNELS < <(printf '%s\n' "${KERNELS[@]}" | awk '!seen[$0]++')
if [ "$SHELL_MODE" = 1 ] && [ ${#KERNELS[@]} -ne 1 ]; then
  die "--shell needs exactly one kernel (e.g. 'run.sh 6.12 --shell')"
fi

# ---------------------------------------------------------------------------------------------
# Host tools

# busybox-static's binary; the dynamic `busybox` package cannot run before the root is mounted.
have_static_busybox() {
  [ -x /bin/busybox ] && dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'
}

ensure_tools() {
  local missing=()
  command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
  have_static_busybox || missing+=(busybox-static)
  command -v xz >/dev/null || missing+=(xz-utils)
  command -v zstd >/dev/null || missing+=(zstd)
  command -v apt-get >/dev/null || die "apt-get not found: the kernel matrix uses Debian's kernel packages"
  command -v node >/dev/null || die "node not found"
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ "$(id -u)" = 0 ]; then
    log "installing ${missing[*]} (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
      die "apt-get install ${missing[*]} failed (try 'apt-get update' first)"
  else
    die "missing host packages: ${missing[*]}; run as root: apt-get install ${missing[*]}"
  fi
}

# ---------------------------------------------------------------------------------------------
# Cache

default_cache() {
  # Inside the checkout only when git ignores it (never risk committing 100 MB .debs).
  if git -C "$REPO" check-ignore -q .cache/kernels 2>/dev/null; then
    echo "$REPO/.cache/kernels"
  else
    echo /var/cache/bpf-ts-kernels
  fi
}
CACHE=${BPF_TS_KERNELS_CACHE:-$(default_cache)}

# The Debian package name pattern of each series: the plain (not cloud) flavour, because it
# carries 9p and the full driver set as modules; -unsigned, because we never boot via UEFI
# secure boot and the signed package only wraps the same image.
pkg_pattern() {
  case $1 in
    6.1) echo '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' ;;
    6.12) echo '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' ;;
    *) die "no package pattern for kernel $1" ;;
  esac
}

pkg_override() {
  local var="BPF_TS_KERNEL_PKG_${1//./_}"
  echo "${!var:-}"
}

# Prints the path of the cached .deb for a kernel series, downloading it when missing.
fetch_deb() {
  local series=$1 pattern pkg deb
  pattern=$(pkg_pattern "$series")
  pkg=$(pkg_override "$series")
  if [ -z "$pkg" ]; then
    pkg=$(apt-cache search --names-only "$pattern" 2>/dev/null | awk '{print $1}' | grep -E "$pattern" | sort -V | tail -n 1 || true)
  fi
  mkdir -p "$CACHE/debs"
  if [ -n "$pkg" ]; then
    deb=$(find "$CACHE/debs" -maxdepth 1 -name "${pkg}_*.deb" | sort -V | tail -n 1)
    if [ -z "$deb" ]; then
      log "$series: downloading $pkg"
      # apt's sandbox user cannot write to a root-owned cache: download as the caller.
      (cd "$CACHE/debs" && apt-get -q -o APT::Sandbox::User="$(id -un)" download "$pkg" >&2) ||
        die "apt-get download $pkg failed (network? 'apt-get update'?)"
      deb=$(find "$CACHE/debs" -maxdepth 1 -name "${pkg}_*.deb" | sort -V | tail -n 1)
      [ -n "$deb" ] || die "apt-get download $pkg left no .deb in $CACHE/debs"
    fi
  else
    # Offline or not Debian bookworm: use the newest cached package of the series.
    deb=$(find "$CACHE/debs" -maxdepth 1 -name '*.deb' | while read -r f; do
      n=$(basename "$f"); n=${n%%_*}
      if echo "$n" | grep -Eq "$pattern"; then echo "$f"; fi
    done | sort -V | tail -n 1)
    [ -n "$deb" ] || die "no Debian package matches $pattern (apt-cache search) and none is cached in $CACHE/debs; on Debian bookworm run 'apt-get update', or set BPF_TS_KERNEL_PKG_${series//./_}"
    log "$series: apt-cache knows no package; using cached $(basename "$deb")"
  fi
  echo "$deb"
}

# Unpacks a .deb once; prints the directory. A stamp file marks a complete unpack.
unpack_deb() {
  local deb=$1 dir
  dir=$CACHE/unpacked/$(basename "$deb" .deb)
  if [ ! -e "$dir/.complete" ]; then
    log "unpacking $(basename "$deb")"
    rm -rf "$dir"
    mkdir -p "$dir"
    dpkg-deb -x "$deb" "$dir" || die "dpkg-deb -x $deb failed"
    touch "$dir/.complete"
  fi
  echo "$dir"
}

# ---------------------------------------------------------------------------------------------
# Modules: find each module's file, read depends= from its .modinfo, order dependencies first.

declare -A MOD_PATH=()     # name -> .ko[.xz|.zst|.gz] path
declare -A MOD_BUILTIN=()  # name -> 1
declare -A MOD_DONE=()     # name -> 1 once emitted
declare -A MOD_VISITING=() # cycle guard
MOD_ORDER=()               # "name" in load order

mod_norm() { local n=${1##*/}; n=${n%%.ko*}; echo "${n//-/_}"; }

mod_index() {
  local moddir=$1 f
  MOD_PATH=()
  MOD_BUILTIN=()
  MOD_DONE=()
  MOD_VISITING=()
  MOD_ORDER=()
  while IFS= read -r f; do
    MOD_PATH[$(mod_norm "$f")]=$f
  done < <(find "$moddir/kernel" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')
  if [ -r "$moddir/modules.builtin" ]; then
    while IFS= read -r f; do MOD_BUILTIN[$(mod_norm "$f")]=1; done <"$moddir/modules.builtin"
  fi
}

mod_cat() {
  case $1 in
    *.xz) xz -dc "$1" ;;
    *.zst) zstd -dcq "$1" ;;
    *.gz) gzip -dc "$1" ;;
    *) cat "$1" ;;
  esac
}

# The .modinfo section is NUL-separated key=value strings; depends= is always present (maybe empty).
mod_depends() {
  mod_cat "$1" | tr '\0' '\n' | grep -a -m 1 '^depends=' | cut -d= -f2 | tr ',' ' ' || true
}

# Returns 1 when the module is neither built in nor shipped.
mod_visit() {
  local name dep
  name=$(mod_norm "$1")
  [ -z "${MOD_DONE[$name]:-}" ] || return 0
  if [ -n "${MOD_BUILTIN[$name]:-}" ]; then MOD_DONE[$name]=1; return 0; fi
  [ -n "${MOD_PATH[$name]:-}" ] || return 1
  [ -z "${MOD_VISITING[$name]:-}" ] || die "module dependency cycle at $name"
  MOD_VISITING[$name]=1
  for dep in $(mod_depends "${MOD_PATH[$name]}"); do
    mod_visit "$dep" || die "module $name depends on $dep, which the package does not ship"
  done
  MOD_DONE[$name]=1
  MOD_ORDER+=("$name")
}

# ---------------------------------------------------------------------------------------------
# Test selection

sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# Prints the test files of the suite, one per line, relative to the repo.
suite_files() {
  local line pat f
  local -a files=()
  shopt -s nullglob globstar
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%%#*}
    line=$(echo "$line" | sed 's/[[:space:]]*$//; s/^[[:space:]]*//')
    [ -n "$line" ] || continue
    if [ "${line#!}" != "$line" ]; then
      pat=${line#!}
      local -a kept=()
      for f in "${files[@]}"; do
        # shellcheck disable=SC2053 # $pat is a glob on purpose
        [[ $f == $pat ]] || kept+=("$f")
      done
      files=("${kept[@]}")
    else
      (cd "$REPO" && for f in $line; do echo "$f"; done) >"$TMPDIR_RUN/glob"
      while IFS= read -r f; do files+=("$f"); done <"$TMPDIR_RUN/glob"
    fi
  done <"$SUITE"
  shopt -u nullglob globstar
  printf '%s\n' "${files[@]}" | awk 'NF && !seen[$0]++'
}

# ---------------------------------------------------------------------------------------------
# One VM

# Writes the initramfs for a kernel into $1 (run dir) using the unpacked package in $2.
build_initramfs() {
  local out=$1 root=$2 series=$3 kver moddir list line name args f
  kver=$(ls "$root/lib/modules")
  moddir=$root/lib/modules/$kver
  mod_index "$moddir"
  mkdir -p "$out/modules"
  : >"$out/modules.list"
  list=$out/initramfs.list
  {
    echo "dir /dev 755"
    echo "nod /dev/console 600 c 5 1"
    echo "nod /dev/null 666 c 1 3"
    for d in bin sbin usr usr/bin usr/sbin proc sys tmp lower rw newroot modules; do echo "dir /$d 755"; done
    echo "file /bin/busybox /bin/busybox 755"
    echo "file /init $HERE/init.sh 755"
    echo "file /bpf-ts-vm.conf $out/bpf-ts-vm.conf 644"
    echo "file /guest.sh $out/guest.sh 755"
    echo "file /modules.list $out/modules.list 644"
    echo "file /kconfig $root/boot/config-$kver 644"
  } >"$list"
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%%#*}
    read -r name args <<<"$line" || true
    [ -n "${name:-}" ] || continue
    local optional=
    if [ "${name#\?}" != "$name" ]; then optional='?'; name=${name#\?}; fi
    local before=${#MOD_ORDER[@]}
    if ! mod_visit "$name"; then
      if [ -n "$optional" ]; then log "$series: optional module $name is not in the package; skipped"; continue; fi
      die "$series: required module $name is neither built in nor in $(basename "$root")"
    fi
    # Emit the newly resolved modules; the named one carries its parameters and optionality.
    local i
    for ((i = before; i < ${#MOD_ORDER[@]}; i++)); do
      local m=${MOD_ORDER[$i]}
      mod_cat "${MOD_PATH[$m]}" >"$out/modules/$m.ko"
      echo "file /modules/$m.ko $out/modules/$m.ko 644" >>"$list"
      if [ "$m" = "$(mod_norm "$name")" ]; then
        echo "$optional$m ${args:-}" >>"$out/modules.list"
      else
        echo "$optional$m" >>"$out/modules.list"
      fi
    done
  done <"$HERE/modules.txt"
  node "$HERE/mkinitramfs.mjs" "$list" "$out/initramfs.cpio"
}

# Runs one kernel; prints nothing on stdout; sets RESULT_<series> via the summary file.
run_kernel() {
  local series=$1 deb root vmlinux kver rundir out t0 t1 rc code
  deb=$(fetch_deb "$series")
  root=$(unpack_deb "$deb")
  kver=$(ls "$root/lib/modules")
  vmlinux=$root/vmlinux
  if [ ! -s "$vmlinux" ]; then
    bash "$HERE/extract-vmlinux.sh" "$root/boot/vmlinuz-$kver" "$vmlinux" || die "$series: cannot extract vmlinux"
  fi

  rundir=$RUN_DIR/$series
  out=$rundir/out
  mkdir -p "$out"
  chmod 0777 "$out"

  # Settings read by init.sh.
  {
    echo "BPF_TS_VM_KERNEL=$(sq "$series")"
    echo "BPF_TS_VM_MOUNTS=$(sq "${MOUNTS//,/ }")"
    echo "BPF_TS_VM_SHELL=$SHELL_MODE"
    echo "BPF_TS_VM_MODULES_DIR=$(sq "$root/lib/modules/$kver")"
  } >"$rundir/bpf-ts-vm.conf"

  # The command the guest runs (as /bin/sh, i.e. dash, in the chrooted host root).
  {
    echo '#!/bin/sh'
    echo "cd $(sq "$REPO") || exit 125"
    echo "export CI=true BPF_TS_VM_KERNEL=$(sq "$series") BPF_TS_VM_KERNEL_PACKAGE=$(sq "$(basename "$deb" .deb)")"
    echo "export BPF_TS_VM_OUT=/run/bpf-ts-vm/out HOME=/root LANG=C.UTF-8 TERM=dumb"
    echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    echo 'echo "bpf-ts-vm: command starting at uptime $(cut -d" " -f1 /proc/uptime) s"'
    if [ -n "$CMD" ]; then
      echo "$CMD"
    else
      # Colours only when a person watches (the guest's console is a tty either way).
      local color=--no-color
      if [ -t 1 ] && [ "$QUIET" = 0 ]; then color=--color; fi
      printf 'exec node node_modules/mocha/bin/mocha.js --reporter scripts/kernels/vm-reporter.cjs %s --timeout %s' "$color" "$MOCHA_TIMEOUT"
      local a
      for a in "${MOCHA_ARGS_EFFECTIVE[@]}" "${TEST_FILES[@]}"; do printf ' %s' "$(sq "$a")"; done
      echo
    fi
  } >"$rundir/guest.sh"

  build_initramfs "$rundir" "$root" "$series"

  local append="console=ttyS0 rdinit=/init panic=-1 quiet loglevel=4 mitigations=off no_timer_check"
  local -a qemu=(
    qemu-system-x86_64 -machine pc -accel tcg -cpu max -smp "$SMP" -m "$MEM"
    -nodefaults -no-user-config -display none -no-reboot
    -chardev stdio,id=con,signal=on -serial chardev:con
    -kernel "$vmlinux" -initrd "$rundir/initramfs.cpio" -append "$append"
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
    -virtfs "local,path=$out,mount_tag=bpfts_out,security_model=none,multidevs=remap"
    -device isa-debug-exit,iobase=0xf4,iosize=0x04
  )

  log "$series: booting $(basename "$deb" .deb) ($kver) with ${#TEST_FILES[@]} test files; log: $rundir/console.log"
  t0=$(date +%s.%N)
  if [ "$SHELL_MODE" = 1 ]; then
    set +e
    "${qemu[@]}"
    rc=$?
    set -e
    return 0
  fi
  set +e
  if [ "$QUIET" = 1 ]; then
    timeout -k 10 "$TIMEOUT" "${qemu[@]}" </dev/null >"$rundir/console.log" 2>&1
    rc=$?
  else
    timeout -k 10 "$TIMEOUT" "${qemu[@]}" </dev/null 2>&1 | tee "$rundir/console.log" | sed -u "s/\r\$//; s/^/[$series] /"
    rc=${PIPESTATUS[0]}
  fi
  set -e
  t1=$(date +%s.%N)
  tr -d '\r' <"$rundir/console.log" >"$rundir/console.txt"

  code=$(grep -a -o '^BPF_TS_VM_EXIT=[0-9]*' "$rundir/console.txt" | tail -n 1 | cut -d= -f2 || true)
  local note=
  if [ -z "$code" ]; then
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then note="timed out after ${TIMEOUT}s"; else note="no result (qemu exit $rc)"; fi
    code=noresult
  fi
  local uinit uroot ucmd uend
  uinit=$(grep -a -o 'init started at uptime [0-9.]*' "$rundir/console.txt" | head -n 1 | awk '{print $NF}' || true)
  uroot=$(grep -a -o 'root ready at uptime [0-9.]*' "$rundir/console.txt" | head -n 1 | awk '{print $NF}' || true)
  ucmd=$(grep -a -o 'command starting at uptime [0-9.]*' "$rundir/console.txt" | head -n 1 | awk '{print $NF}' || true)
  uend=$(grep -a -o '^BPF_TS_VM_EXIT=[0-9]* uptime=[0-9.]*' "$rundir/console.txt" | tail -n 1 | sed 's/.*uptime=//' || true)
  local stats=
  stats=$(grep -a -o '^tests: [0-9]* passed, [0-9]* failed, [0-9]* skipped' "$rundir/console.txt" | tail -n 1 || true)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$series" "$kver" "$code" "${stats:-}" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')" "${uinit:--}" "${uroot:--}" "${ucmd:--}" "${uend:--}" "$note" >>"$RUN_DIR/summary.tsv"
}

# ---------------------------------------------------------------------------------------------
# Main

ensure_tools
[ -e "$REPO/native/bpf-ts-sys.node" ] || die "native/bpf-ts-sys.node is missing: run 'npm install' (or 'npm run build:native') first"
[ -e "$REPO/node_modules/mocha/bin/mocha.js" ] || die "node_modules/mocha is missing: run 'npm install' first"
if [ "$BUILD" = 1 ] && [ -z "$CMD" ] && [ "$SHELL_MODE" = 0 ]; then
  log "compiling (npx tsc -p .; skip with --no-build)"
  (cd "$REPO" && npx tsc -p .) || die "'npx tsc -p .' failed: fix the type errors (or run with --no-build on the current dist/)"
fi

mkdir -p "$CACHE/runs" 2>/dev/null || die "cannot create the cache $CACHE: set BPF_TS_KERNELS_CACHE to a writable directory (or add .cache/ to .gitignore to use .cache/kernels in the checkout)"
RUN_DIR=$CACHE/runs/$(date -u +%Y%m%dT%H%M%SZ)-$$
mkdir -p "$RUN_DIR"
TMPDIR_RUN=$RUN_DIR
# Keep the 20 newest runs.
find "$CACHE/runs" -mindepth 1 -maxdepth 1 -type d | sort | head -n -20 | xargs -r rm -rf

# Test files: MOCHA_ARGS naming existing .js files replace the suite.
TEST_FILES=()
MOCHA_ARGS_EFFECTIVE=()
for a in "${MOCHA_ARGS[@]}"; do
  if [[ $a == *.js ]] && [ -f "$REPO/$a" ]; then TEST_FILES+=("$a"); else MOCHA_ARGS_EFFECTIVE+=("$a"); fi
done
if [ ${#TEST_FILES[@]} -eq 0 ] && [ -z "$CMD" ]; then
  [ -r "$SUITE" ] || die "suite file $SUITE not found"
  mapfile -t TEST_FILES < <(suite_files)
  [ ${#TEST_FILES[@]} -gt 0 ] || die "the suite $SUITE matches no compiled test files (did 'npx tsc -p .' run?)"
fi

: >"$RUN_DIR/summary.tsv"
for k in "${KERNELS[@]}"; do
  run_kernel "$k"
done
[ "$SHELL_MODE" = 0 ] || exit 0

node "$HERE/report.mjs" "$RUN_DIR" "${KERNELS[@]}"
exit
}
