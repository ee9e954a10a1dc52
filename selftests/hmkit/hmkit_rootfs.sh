#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hmkit under a real userland: the Debian 12 root (i386, armhf on ARM) of
# `qemu/run.sh --rootfs debian [--disk SIZE]` (skipped anywhere else). The
# root is ext4 on virtio-blk, hmkit's debugfs files and tools are visible in
# it, and real workloads put page cache, anonymous memory and block I/O
# through a HIGHMEM kernel with hmkit loaded: data comes back intact and the
# kernel does not complain.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
grep -qw 'hmkit.rootfs=debian' /proc/cmdline && [ -f /etc/debian_version ] ||
	hmkit_skip_all "not on the Debian root: run it with qemu/run.sh --rootfs debian"

ktap_print_header
ktap_set_plan 9
hmkit_log_mark rootfs

# The device and type of the last mount at $1 (this root's own view).
mount_of() { awk -v m="$1" '$2 == m { d = $1 " " $3 } END { print d }' /proc/self/mounts; }

m=$(mount_of /)
if [ "$m" = "/dev/vda ext4" ]; then ktap_test_pass root_is_ext4_on_vda; else hmkit_fail root_is_ext4_on_vda "/ is '$m'"; fi

# Debian's architecture for the kernel's: i386 on x86-32, armhf on ARMv7.
case $(uname -m) in
i?86) want=i386 ;;
armv7*) want=armhf ;;
*) want="(none for $(uname -m))" ;;
esac
rel=$(cat /etc/debian_version) arch=$(dpkg --print-architecture 2>&1)
case "$rel $arch" in
12.*" $want") ktap_test_pass debian_12_of_the_kernels_arch ;;
*) hmkit_fail debian_12_of_the_kernels_arch "debian_version '$rel', architecture '$arch', kernel $(uname -m) wants $want" ;;
esac

missing=
for t in hmctl stress-ng fio mkfs.ext4 bash; do
	command -v $t >/dev/null || missing="$missing $t"
done
if [ -z "$missing" ]; then ktap_test_pass tools_present; else hmkit_fail tools_present "missing:$missing"; fi

hmkit_load
hmkit_check hmctl_reads_debugfs hmctl zones --json

# 64 MiB through the page cache (mostly highmem) to ext4 and back from the
# disk after the cache is dropped.
f=/var/tmp/hmkit-rootfs.$$
if head -c 64M /dev/urandom >$f && sync && a=$(sha256sum <$f) &&
	echo 3 >/proc/sys/vm/drop_caches && b=$(sha256sum <$f) && [ "$a" = "$b" ]; then
	ktap_test_pass page_cache_round_trip
else
	hmkit_fail page_cache_round_trip "sha256 before '${a:-}' after dropping caches '${b:-}'"
fi
rm -f $f

# Anonymous memory, much of it highmem, written and verified by stress-ng
# while hmkit's pool is loaded.
hmkit_check stress_ng_vm_verify stress-ng --vm 2 --vm-bytes 256M --verify --timeout 10s

if [ "$(mount_of /data)" = "/dev/vdb ext4" ]; then
	hmkit_check fio_verify_on_data fio --name=hmkit --directory=/data --rw=randwrite --bs=4k \
		--size=32M --ioengine=psync --verify=crc32c --do_verify=1
else
	hmkit_skip fio_verify_on_data "no scratch disk at /data: run with --disk SIZE"
fi

if command -v page-types >/dev/null; then
	out=$(page-types 2>&1)
	if echo "$out" | grep -q '^ *total'; then ktap_test_pass page_types_summary; else hmkit_fail page_types_summary "$(echo "$out" | tail -n 3)"; fi
else
	hmkit_skip page_types_summary "no page-types: tools/build-page-types.sh builds it"
fi

bad=$(hmkit_log_bad)
if [ -z "$bad" ]; then ktap_test_pass no_kernel_complaints; else hmkit_fail no_kernel_complaints "$(echo "$bad" | head -n 5)"; fi
hmkit_finished
