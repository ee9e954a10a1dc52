#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build hmctl as a static 32-bit binary for the guest.
#
#   tools/build-hmctl.sh [ARCH]     i386 (the default): build/hmctl
#                                   arm: build/arm/hmctl (ARMv7, hard-float)
#
# Debian's 32-bit Rust std packages do not match its rustc, so std is built
# from Debian's rust-web-src with -Zbuild-std. The i386 binary is linked by
# gcc -m32 against the static i386 glibc of gcc-multilib; the ARM one by
# clang-14 with lld against the static armhf glibc of libc6-dev-armhf-cross
# and the libgcc of libgcc-12-dev-armhf-cross (no GCC cross compiler: it
# conflicts with gcc-multilib).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:-i386}
[ $# -le 1 ] || die "usage: tools/build-hmctl.sh [i386|arm]"
out=$(guest_bin_dir "$arch")/hmctl
target_dir=$HMKIT_BUILD/hmctl-target
export RUSTC=$HMKIT_RUSTC RUSTC_BOOTSTRAP=1
case $arch in
i386)
	triple=i686-unknown-linux-gnu
	machine=0300 # e_machine EM_386
	export CARGO_TARGET_I686_UNKNOWN_LINUX_GNU_LINKER=gcc
	export CARGO_TARGET_I686_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C target-feature=+crt-static -C link-arg=-m32"
	;;
arm)
	triple=armv7-unknown-linux-gnueabihf
	machine=2800 # e_machine EM_ARM
	export CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_LINKER=clang-14
	export CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_RUSTFLAGS="-C target-feature=+crt-static -C link-arg=--target=arm-linux-gnueabihf -C link-arg=-fuse-ld=lld"
	;;
*) die "usage: tools/build-hmctl.sh [i386|arm]" ;;
esac

log "building hmctl (static $triple; about 2 minutes cold)"
(cd "$HMKIT_ROOT/tools/hmctl" &&
	"$HMKIT_CARGO" build -q --release --locked --target "$triple" --target-dir "$target_dir" \
		-Zbuild-std=std,panic_abort) ||
	die "hmctl build failed: run tools/setup.sh, then see the cargo output above"
bin=$target_dir/$triple/release/hmctl
[ "$(od -An -tx1 -N5 "$bin" | tr -d ' ')" = 7f454c4601 ] || die "$bin is not a 32-bit ELF"
[ "$(od -An -tx1 -j18 -N2 "$bin" | tr -d ' ')" = "$machine" ] || die "$bin is not an $arch executable (e_machine)"
mkdir -p "$(dirname "$out")"
cp "$bin" "$out.tmp" && mv "$out.tmp" "$out"
log "hmctl: $out ($(du -k "$out" | cut -f1) KiB)"
