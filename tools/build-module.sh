#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build hmkit.ko and hmkit_port.ko (the i386 port's tests, port/) against
# one flavour's kernel: build/FLAVOUR/hmkit.ko, build/FLAVOUR/hmkit_port.ko.
# The sources are copied to build/FLAVOUR/module/ so that each flavour has
# its own objects. Any compiler warning fails the build.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || die "usage: tools/build-module.sh FLAVOUR"
flavour=$1
kdir=$(kernel_dir "$flavour")
[ -f "$kdir/.hmkit-built" ] || die "no kernel for flavour $flavour: run qemu/build-kernel.sh $flavour"

bindings=$kdir/rust/bindings/bindings_generated.rs
"$HMKIT_ROOT/tools/check-abi.py" --bindings "$bindings" --kernel-src "$kdir/source" "$HMKIT_ROOT/src"
# The port tests call two by-value functions on purpose (their XFAILs).
"$HMKIT_ROOT/tools/check-abi.py" --bindings "$bindings" --kernel-src "$kdir/source" \
	--xfail hmkit_port_xfail_u64 --xfail hmkit_port_xfail_struct "$HMKIT_ROOT/port" >/dev/null

src=$HMKIT_BUILD/$flavour/module
mkdir -p "$src"
# Mirror Kbuild, src/ and port/ (keeping objects of unchanged files).
cp -p "$HMKIT_ROOT/Kbuild" "$src/"
for d in src port; do
	mkdir -p "$src/$d"
	(cd "$HMKIT_ROOT/$d" && find . -type f \( -name '*.rs' -o -name '*.c' -o -name '*.h' \) -print0) |
		while IFS= read -r -d '' f; do
			mkdir -p "$src/$d/$(dirname "$f")"
			cmp -s "$HMKIT_ROOT/$d/$f" "$src/$d/$f" || cp -p "$HMKIT_ROOT/$d/$f" "$src/$d/$f"
		done
	# Drop copies of files that no longer exist.
	(cd "$src/$d" && find . -type f \( -name '*.rs' -o -name '*.c' -o -name '*.h' \) -print0) |
		while IFS= read -r -d '' f; do
			[ -e "$HMKIT_ROOT/$d/$f" ] || rm -f "$src/$d/$f"
		done
done

log "building hmkit.ko and hmkit_port.ko for $flavour"
logf=$HMKIT_BUILD/$flavour/module.log
# The kernel's own toolchain: gcc for i386, LLVM (clang-14) for ARM.
arch=$(flavour_arch "$flavour")
toolchain=()
[ "$arch" != arm ] || toolchain=(LLVM=-14)
if ! make -C "$kdir" M="$src" ARCH="$arch" "${toolchain[@]}" RUSTC="$HMKIT_RUSTC" modules >"$logf" 2>&1; then
	cat "$logf" >&2
	die "module build failed for $flavour (log: $logf)"
fi
if grep -q 'warning' "$logf"; then
	grep -B2 -A12 'warning' "$logf" >&2
	die "the module build printed warnings (log: $logf): hmkit builds warning-free"
fi
cp "$src/hmkit.ko" "$src/hmkit_port.ko" "$HMKIT_BUILD/$flavour/"
