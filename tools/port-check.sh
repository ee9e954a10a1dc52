#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What the compiled port tests (build/FLAVOUR/hmkit_port.ko) must contain
# for their results in the VM to mean anything: the division wrappers
# really call the libcalls of qemu/patches/0003 (not inlined or folded
# away), the 64-bit atomics really are inline `lock cmpxchg8b`
# (qemu/patches/0004: no __atomic_*/__sync_* libcall), no x87
# instruction does a 64-bit load or store behind the kernel's back, and the
# Rust is built for the kernel's -march (qemu/patches/0005: i686's cmov,
# which LLVM's generic x86 does not use).
# Prints "ok - ..." / "not ok - ..." lines; exits non-zero on any failure.
#
#   tools/port-check.sh FLAVOUR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || die "usage: tools/port-check.sh FLAVOUR"
flavour=$1
ko=$HMKIT_BUILD/$flavour/hmkit_port.ko
[ -f "$ko" ] || die "$ko is missing: run tools/build-module.sh $flavour"

dis=$(mktemp)
trap 'rm -f "$dis"' EXIT
objdump -dr -C --no-show-raw-insn "$ko" >"$dis"

# The disassembly of the function whose demangled name ends in ::NAME.
body() {
	awk -v name="$1" '
		/^[0-9a-f]+ <.*>:$/ { f = $0; sub(/^[0-9a-f]+ </, "", f); sub(/>:$/, "", f)
			on = (f ~ ("::" name "$")); next }
		on' "$dis"
}

for pair in udiv:__udivdi3 urem:__umoddi3 sdiv:__divdi3 srem:__moddi3; do
	fn=${pair%%:*} call=${pair#*:}
	b=$(body "$fn")
	if [ -z "$b" ]; then
		result 1 "$flavour: hmkit_port's $fn calls $call" "no function $fn in $ko"
	elif grep -qE "R_386_(PC32|PLT32)[[:space:]]+$call\$" <<<"$b"; then
		result 0 "$flavour: hmkit_port's $fn calls $call"
	else
		result 1 "$flavour: hmkit_port's $fn calls $call" "its code has no call to $call"
	fi
done

b=$(body atomic_work)
if grep -q 'lock cmpxchg8b' <<<"$b"; then
	result 0 "$flavour: hmkit_port's AtomicU64/AtomicI64 are inline lock cmpxchg8b"
else
	result 1 "$flavour: hmkit_port's AtomicU64/AtomicI64 are inline lock cmpxchg8b" "atomic_work has no lock cmpxchg8b"
fi
libcalls=$(nm -u "$ko" | awk '$2 ~ /^__(atomic|sync)_/ { print $2 }' | xargs)
result "$([ -z "$libcalls" ] && echo 0 || echo 1)" "$flavour: hmkit_port needs no atomic libcall" "undefined: $libcalls"
# Every x87 mnemonic starts with f (fildll, fistpll, fldl, fstpl, fxch...);
# no integer instruction does.
x87=$(grep -cE '^[[:space:]]+[0-9a-f]+:[[:space:]]+f[a-z0-9]*([[:space:]]|$)' "$dis" || true)
result "$([ "$x87" = 0 ] && echo 0 || echo 1)" "$flavour: hmkit_port has no x87 instruction" "$x87 of them"
if grep -q "^CONFIG_M686=y" "$(kernel_dir "$flavour")/.config"; then
	# In the Rust functions only (demangled port::...), not port_c.c's.
	cmov=$(awk '/^[0-9a-f]+ <.*>:$/ { rust = ($0 ~ /<port::/) } rust' "$dis" |
		grep -cE '^[[:space:]]+[0-9a-f]+:[[:space:]]+cmov' || true)
	result "$([ "$cmov" -gt 0 ] && echo 0 || echo 1)" "$flavour: hmkit_port's Rust is built for i686 (it uses cmov)" "no cmov in port::*: built for a generic x86"
fi
[ $fails = 0 ]
