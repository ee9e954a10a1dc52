#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build hmkit.ko against one flavour's kernel: build/FLAVOUR/hmkit.ko.
# The sources are copied to build/FLAVOUR/module/ so that each flavour has
# its own objects. Any compiler warning fails the build.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || die "usage: tools/build-module.sh FLAVOUR"
flavour=$1
kdir=$(kernel_dir "$flavour")
[ -f "$kdir/.hmkit-built" ] || die "no kernel for flavour $flavour: run qemu/build-kernel.sh $flavour"

"$HMKIT_ROOT/tools/check-abi.py" --bindings "$kdir/rust/bindings/bindings_generated.rs" "$HMKIT_ROOT/src"

src=$HMKIT_BUILD/$flavour/module
mkdir -p "$src"
# Mirror Kbuild and src/ (keeping objects of unchanged files).
cp -p "$HMKIT_ROOT/Kbuild" "$src/"
mkdir -p "$src/src"
(cd "$HMKIT_ROOT/src" && find . -type f \( -name '*.rs' -o -name '*.c' -o -name '*.h' \) -print0) |
	while IFS= read -r -d '' f; do
		mkdir -p "$src/src/$(dirname "$f")"
		cmp -s "$HMKIT_ROOT/src/$f" "$src/src/$f" || cp -p "$HMKIT_ROOT/src/$f" "$src/src/$f"
	done
# Drop copies of files that no longer exist.
(cd "$src/src" && find . -type f \( -name '*.rs' -o -name '*.c' -o -name '*.h' \) -print0) |
	while IFS= read -r -d '' f; do
		[ -e "$HMKIT_ROOT/src/$f" ] || rm -f "$src/src/$f"
	done

log "building hmkit.ko for $flavour"
logf=$HMKIT_BUILD/$flavour/module.log
if ! make -C "$kdir" M="$src" ARCH=i386 RUSTC="$HMKIT_RUSTC" modules >"$logf" 2>&1; then
	cat "$logf" >&2
	die "module build failed for $flavour (log: $logf)"
fi
if grep -q 'warning' "$logf"; then
	grep -B2 -A12 'warning' "$logf" >&2
	die "the module build printed warnings (log: $logf): hmkit builds warning-free"
fi
cp "$src/hmkit.ko" "$HMKIT_BUILD/$flavour/hmkit.ko"
