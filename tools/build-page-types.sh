#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the kernel's own tools/mm/page-types (page flags from /proc/kpageflags,
# summed by kind, or per page of a range, a process or a file) as a static
# i386 binary for the guest, from the flavour's kernel source tree, into
# build/page-types. qemu/mkinitramfs.sh puts it in the guest's /bin.
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
out=$HMKIT_BUILD/page-types

if [ -x "$out" ]; then
	stale=
	for f in "${srcs[@]}" "$0"; do
		[ "$f" -nt "$out" ] && stale=1
	done
	[ -n "$stale" ] || exit 0
fi
log "building page-types (static i386, from $tools/mm)"
mkdir -p "$HMKIT_BUILD"
# The flags of tools/mm/Makefile, for i386 and static: the guest has no libc.
gcc -m32 -static -O2 -Wall -pthread -I"$tools/lib" -I"$tools/lib/api" -I"$tools/include" \
	-o "$out.tmp" "${srcs[@]}" ||
	die "building page-types failed: are gcc-multilib's 32-bit static libraries there (tools/setup.sh installs gcc-multilib)?"
mv -f "$out.tmp" "$out"
log "page-types: $out ($(du -k "$out" | cut -f1) KiB)"
