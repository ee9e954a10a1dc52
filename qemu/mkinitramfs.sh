#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the guest's initramfs for one flavour from what is already built:
# busybox, build/FLAVOUR/hmkit.ko and hmkit_port.ko, hmctl (build/hmctl, or
# build/arm/hmctl for ARM), selftests/ and qemu/init,
# plus the kernel's KTAP helpers (from the flavour's kernel source tree) in
# /selftests/kselftest/, where the kernel's selftest install puts them, and
# the kernel's page-types in /bin when it is built (tools/build-page-types.sh).
#
#   qemu/mkinitramfs.sh FLAVOUR      writes build/FLAVOUR/initramfs.cpio
set -euo pipefail
. "$(dirname "$0")/../tools/lib.sh"

[ $# -eq 1 ] || die "usage: qemu/mkinitramfs.sh FLAVOUR"
flavour=$1
kdir=$(kernel_dir "$flavour")
gen=$kdir/usr/gen_init_cpio
ko=$HMKIT_BUILD/$flavour/hmkit.ko
port_ko=$HMKIT_BUILD/$flavour/hmkit_port.ko
arch=$(flavour_arch "$flavour")
bins=$(guest_bin_dir "$arch")
busybox=$(busybox_path "$arch")
# The kernel build (O=) links its source tree as "source".
ktap_helpers=$kdir/source/tools/testing/selftests/kselftest/ktap_helpers.sh
for f in "$gen" "$ko" "$port_ko" "$bins/hmctl" "$busybox"; do
	[ -e "$f" ] || die "$f is missing: run 'make FLAVOUR=$flavour module hmctl' (or 'make run') first"
done
[ -f "$ktap_helpers" ] || die "$ktap_helpers is missing: the kernel source tree of $kdir is gone; run qemu/build-kernel.sh $flavour"

list=$(mktemp)
trap 'rm -f "$list"' EXIT
{
	for d in /bin /sbin /usr /usr/bin /usr/sbin /dev /proc /sys /tmp /root /lib /lib/modules \
		/hmkit /out /selftests /selftests/hmkit /selftests/kselftest; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /init $HMKIT_ROOT/qemu/init 0755 0 0"
	echo "file /bin/busybox $busybox 0755 0 0"
	echo "slink /bin/sh busybox 0777 0 0"
	echo "file /bin/hmctl $bins/hmctl 0755 0 0"
	[ ! -f "$bins/page-types" ] || echo "file /bin/page-types $bins/page-types 0755 0 0"
	echo "file /lib/modules/hmkit.ko $ko 0644 0 0"
	echo "file /lib/modules/hmkit_port.ko $port_ko 0644 0 0"
	echo "file /selftests/kselftest/ktap_helpers.sh $ktap_helpers 0644 0 0"
	for f in "$HMKIT_ROOT"/selftests/hmkit/*; do
		[ -f "$f" ] || continue
		mode=0644
		[ -x "$f" ] && mode=0755
		echo "file /selftests/hmkit/$(basename "$f") $f $mode 0 0"
	done
} >"$list"
out=$HMKIT_BUILD/$flavour/initramfs.cpio
"$gen" "$list" >"$out.tmp"
mv "$out.tmp" "$out"
