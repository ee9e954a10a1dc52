#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the kernel's own tools/mm/page-types (page flags from /proc/kpageflags,
# summed by kind, or per page of a range, a process or a file) as a static
# binary for the guest (i386, or ARMv7 hard-float for the ARM flavours), from
# the flavour's kernel source tree, into build/page-types (build/arm/ for
# ARM). qemu/mkinitramfs.sh puts it in the guest's /bin.
#
#   tools/build-page-types.sh FLAVOUR
#
# It is rebuilt only when missing or older than its sources (or this script).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || die "usage: tools/build-page-types.sh FLAVOUR (one of: $(all_flavours | xargs))"
flavour_fragments "$1" >/dev/null
kdir=$(kernel_dir "$1")
# The kernel build (O=) links its source tree as "source".
tools=$kdir/source/tools
[ -f "$tools/mm/page-types.c" ] ||
	die "$tools/mm/page-types.c is missing: the kernel source tree of $kdir is gone; run qemu/build-kernel.sh $1"
# page-types uses debugfs__mount() from tools/lib/api (fs.c, which logs through debug.c).
srcs=("$tools/mm/page-types.c" "$tools/lib/api/fs/fs.c" "$tools/lib/api/debug.c")
arch=$(flavour_arch "$1")
out=$(guest_bin_dir "$arch")/page-types

if [ -x "$out" ]; then
	stale=
	for f in "${srcs[@]}" "$0"; do
		[ "$f" -nt "$out" ] && stale=1
	done
	[ -n "$stale" ] || exit 0
fi
log "building page-types (static $arch, from $tools/mm)"
mkdir -p "$(dirname "$out")"
# The flags of tools/mm/Makefile, static: the guest has no libc. ARM is
# built by clang-14 and lld against libc6-dev-armhf-cross.
case $arch in
i386) cc=(gcc -m32) hint="gcc-multilib's 32-bit static libraries" ;;
arm) cc=(clang-14 --target=arm-linux-gnueabihf -fuse-ld=lld) hint="clang-14, lld-14 and libc6-dev-armhf-cross" ;;
esac
"${cc[@]}" -static -O2 -Wall -pthread -I"$tools/lib" -I"$tools/lib/api" -I"$tools/include" \
	-o "$out.tmp" "${srcs[@]}" ||
	die "building page-types failed: are $hint there (tools/setup.sh installs them)?"
mv -f "$out.tmp" "$out"
log "page-types: $out ($(du -k "$out" | cut -f1) KiB)"
