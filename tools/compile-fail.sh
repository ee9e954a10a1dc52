#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Compile-fail tests of the module's safe API: each case in
# src/compile_fail.rs is a way safe code could break a guarantee (alias a
# page being written, run code in IRQ context, touch an unheld slot...).
# Every case is built into the module alone, against the real kernel crate
# of FLAVOUR, and must be refused by rustc with the error code its doc
# comment names (`/// E0502: ...` above `#[cfg(hmkit_compile_fail = "NAME")]`);
# with no case selected the module must build, so a refusal is the case's.
#
#   tools/compile-fail.sh [FLAVOUR]      prints one ok/not ok line per case
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-plain}
kdir=$(kernel_dir "$flavour")
[ -f "$kdir/.hmkit-built" ] || die "no kernel for flavour $flavour: run qemu/build-kernel.sh $flavour"
cases=$HMKIT_ROOT/src/compile_fail.rs
work=$HMKIT_BUILD/compile-fail
rm -rf "$work"
mkdir -p "$work"
# hmkit.ko alone: the cases are about its API, not about hmkit_port.ko.
grep -v '^obj-m\|^hmkit_port-' "$HMKIT_ROOT/Kbuild" >"$work/Kbuild"
echo 'obj-m := hmkit.o' >>"$work/Kbuild"
cp -rp "$HMKIT_ROOT/src" "$work/src"

build() { # CFG-NAME LOG: builds with --cfg hmkit_compile_fail[="NAME"]
	local flags='--cfg hmkit_compile_fail'
	[ -z "$1" ] || flags="$flags --cfg hmkit_compile_fail=\\\"$1\\\""
	make -C "$kdir" M="$work" ARCH=i386 RUSTC="$HMKIT_RUSTC" KRUSTFLAGS="$flags" modules >"$2" 2>&1
}

pass=0 fail=0
log "compile-fail: baseline (no case selected) must build"
if build "" "$work/baseline.log"; then
	echo "ok - compile-fail: the module builds with no case selected"
	pass=$((pass + 1))
else
	tail -n 30 "$work/baseline.log" >&2
	echo "not ok - compile-fail: the module builds with no case selected"
	exit 1
fi
# Each case: NAME and the expected error code from the doc line above it.
mapfile -t list < <(awk '/^\/\/\/ E[0-9]+:/ { code = $2; sub(":", "", code) }
	/#\[cfg\(hmkit_compile_fail = "/ { n = $0; sub(/.*= "/, "", n); sub(/".*/, "", n); print n, code; code = "" }' "$cases")
[ ${#list[@]} -gt 0 ] || die "no cases found in $cases"
for entry in "${list[@]}"; do
	read -r name code <<<"$entry"
	[ -n "$code" ] || die "case $name in $cases has no '/// EXXXX:' line naming the error it must raise"
	logf=$work/$name.log
	if build "$name" "$logf"; then
		echo "not ok - compile-fail: $name compiled, but must be refused with $code"
		fail=$((fail + 1))
	elif grep -q "^error\[$code\]" "$logf" && grep -q "src/compile_fail.rs" "$logf"; then
		echo "ok - compile-fail: $name refused with $code"
		pass=$((pass + 1))
	else
		echo "not ok - compile-fail: $name refused, but not with $code in src/compile_fail.rs:"
		grep -E '^error' "$logf" | head -n 5 | sed 's/^/#   /'
		fail=$((fail + 1))
	fi
done
echo "# compile-fail: $pass passed, $fail failed"
[ $fail = 0 ]
