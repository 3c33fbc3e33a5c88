#!/bin/busybox sh
# /init of the kernel-matrix initramfs (copied in by scripts/kernels/run.sh; runs as PID 1 under
# busybox). It turns the booted Debian kernel into a throwaway machine that runs the host's own
# node and checkout:
#   1. load the modules listed in /modules.list (dependencies first, computed by the host),
#   2. mount the host's root (9p, read-only) under an overlay with a tmpfs upper dir, so the guest
#      may write anywhere without touching the host,
#   3. give it the mounts a fresh machine has (proc, sys, dev, cgroup2, tmp), but NOT bpffs or
#      tracefs: bpf-ts must mount those itself, as it would on a fresh machine,
#   4. chroot into it and run /run/bpf-ts-vm/guest.sh (written by the host into the initramfs),
#   5. report the exit status on the console (a marker line the host parses), in the results
#      share and through isa-debug-exit, then power off.
# Anything unexpected ends in `fail`, which reports status 125 so the host never mistakes a broken
# VM for a test result.
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

# Settings from the host: BPF_TS_VM_KERNEL, BPF_TS_VM_MOUNTS, BPF_TS_VM_SHELL ...
. /bpf-ts-vm.conf

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# The host waits for exactly one of these lines; nothing else in the output may start with it.
report() {
  code=$1
  if [ -d /newroot/run/bpf-ts-vm/out ]; then
    echo "$code" >/newroot/run/bpf-ts-vm/out/exit-code 2>/dev/null
    dmesg >/newroot/run/bpf-ts-vm/out/dmesg.txt 2>/dev/null
    sync
  fi
  echo "BPF_TS_VM_EXIT=$code uptime=$(uptime_s)"
  # isa-debug-exit (port 0xf4): QEMU exits with (value << 1) | 1. Needs /dev/port; the marker
  # line above is the authoritative result either way.
  if [ -c /dev/port ]; then
    printf "\\$(printf '%03o' $((code & 255)))" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
  fi
  poweroff -f
  sleep 5
}

fail() {
  echo "bpf-ts-vm init: $*" >&2
  report 125
}

echo "bpf-ts-vm: init started at uptime $(uptime_s) s (kernel $(uname -r))"

# 1. Modules, in the order the host resolved (each after its depends=). Built-in ones are not
# listed. Optional ones may fail (the host marks them with a leading '?').
while read -r mod args; do
  [ -n "$mod" ] || continue
  optional=
  case $mod in \?*) optional=1; mod=${mod#\?} ;; esac
  # shellcheck disable=SC2086 # module parameters are separate words
  if ! insmod "/modules/$mod.ko" $args 2>/tmp/insmod.err; then
    if grep -q 'File exists' /tmp/insmod.err; then continue; fi
    if [ -n "$optional" ]; then
      echo "bpf-ts-vm: optional module $mod not loaded: $(cat /tmp/insmod.err)"
    else
      fail "insmod $mod failed: $(cat /tmp/insmod.err)"
    fi
  fi
done </modules.list

# 2. The host root, read-only, under a writable overlay. The 9p channel appears once the
# virtio-pci device has been probed, which may trail insmod by a moment.
mkdir -p /lower /rw /newroot
i=0
until mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288,cache=loose hostroot /lower 2>/tmp/mount.err; do
  i=$((i + 1))
  [ $i -lt 50 ] || fail "mounting the host root over 9p failed: $(cat /tmp/mount.err)"
  sleep 0.1
done
mount -t tmpfs -o mode=0755 rw /rw
mkdir -p /rw/upper /rw/work
# index/metacopy/redirect_dir off: 9p cannot store the trusted.* xattrs those features need.
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work,index=off,metacopy=off,redirect_dir=off /newroot ||
  fail "mounting the overlay root failed"

# 3. The mounts a freshly booted machine has.
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs devtmpfs /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
# udev/systemd create these on every machine; devtmpfs does not (bash's <(...) needs /dev/fd).
ln -sf /proc/self/fd /newroot/dev/fd
ln -sf /proc/self/fd/0 /newroot/dev/stdin
ln -sf /proc/self/fd/1 /newroot/dev/stdout
ln -sf /proc/self/fd/2 /newroot/dev/stderr
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm
# /tmp stays the overlay's (writes land in its tmpfs upper dir): a checkout under the host's /tmp
# (a CI clone) must stay visible, which a fresh tmpfs here would hide.
mount -t tmpfs -o mode=0755 tmpfs /newroot/run
mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup 2>/dev/null || echo "bpf-ts-vm: cgroup2 not mounted"
case " $BPF_TS_VM_MOUNTS " in
  *" bpffs "*) mount -t bpf bpffs /newroot/sys/fs/bpf ;;
esac
case " $BPF_TS_VM_MOUNTS " in
  *" tracefs "*) mount -t tracefs tracefs /newroot/sys/kernel/tracing ;;
esac
case " $BPF_TS_VM_MOUNTS " in
  *" debugfs "*) mount -t debugfs debugfs /newroot/sys/kernel/debug ;;
esac
ip link set lo up 2>/dev/null

# What a machine running this kernel has from its package: /boot/config-<release> (Debian builds
# no /proc/config.gz; .kconfig externs and feature reports read this file) and
# /lib/modules/<release> (the unpacked package, reached through the host root).
release=$(uname -r)
mkdir -p /newroot/boot /newroot/lib/modules
cp /kconfig "/newroot/boot/config-$release"
if [ -n "$BPF_TS_VM_MODULES_DIR" ] && [ ! -e "/newroot/lib/modules/$release" ]; then
  ln -s "$BPF_TS_VM_MODULES_DIR" "/newroot/lib/modules/$release"
fi

mkdir -p /newroot/run/bpf-ts-vm/out
# The results share: the one place the guest writes to the host (the reporter's JSON, dmesg, exit code).
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 bpfts_out /newroot/run/bpf-ts-vm/out ||
  fail "mounting the results share failed"
cp /guest.sh /newroot/run/bpf-ts-vm/guest.sh

echo "bpf-ts-vm: root ready at uptime $(uptime_s) s"

# 4. Run. The command's own exit status is the result.
if [ "$BPF_TS_VM_SHELL" = 1 ]; then
  echo "bpf-ts-vm: interactive shell in the guest root; 'exit' powers off"
  setsid cttyhack chroot /newroot /bin/bash -l
  code=$?
else
  chroot /newroot /bin/sh /run/bpf-ts-vm/guest.sh
  code=$?
fi
report "$code"
