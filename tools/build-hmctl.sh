#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build hmctl as a static i386 binary for the guest: build/hmctl.
#
# Debian's i386 Rust std (libstd-rust-web-dev:i386) does not match its
# rustc, so std is built from Debian's rust-web-src with -Zbuild-std, linked
# by gcc -m32 against the static i386 glibc of gcc-multilib.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$HMKIT_BUILD/hmctl
target_dir=$HMKIT_BUILD/hmctl-target
triple=i686-unknown-linux-gnu

log "building hmctl (static $triple; about 2 minutes cold)"
export RUSTC=$HMKIT_RUSTC RUSTC_BOOTSTRAP=1
export CARGO_TARGET_I686_UNKNOWN_LINUX_GNU_LINKER=gcc
export CARGO_TARGET_I686_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C target-feature=+crt-static -C link-arg=-m32"
(cd "$HMKIT_ROOT/tools/hmctl" &&
	"$HMKIT_CARGO" build -q --release --locked --target "$triple" --target-dir "$target_dir" \
		-Zbuild-std=std,panic_abort) ||
	die "hmctl build failed: run tools/setup.sh, then see the cargo output above"
bin=$target_dir/$triple/release/hmctl
file_info=$(od -An -tx1 -N5 "$bin" | tr -d ' ')
[ "$file_info" = 7f454c4601 ] || die "$bin is not a 32-bit ELF"
mkdir -p "$(dirname "$out")"
cp "$bin" "$out.tmp" && mv "$out.tmp" "$out"
log "hmctl: $out ($(du -k "$out" | cut -f1) KiB)"
