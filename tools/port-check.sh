#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What the compiled port tests (build/FLAVOUR/hmkit_port.ko) must contain
# for their results in the VM to mean anything: the division wrappers
# really call the libcalls of qemu/patches/x86/0003 (not inlined or folded
# away), the 64-bit atomics really are inline `lock cmpxchg8b`
# (qemu/patches/x86/0004: no __atomic_*/__sync_* libcall), no x87
# instruction does a 64-bit load or store behind the kernel's back, and the
# Rust is built for the kernel's -march (qemu/patches/x86/0005: i686's cmov,
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

# The disassembly of the function whose demangled name ends in ::NAME.
body() {
	awk -v name="$1" '
		/^[0-9a-f]+ <.*>:$/ { f = $0; sub(/^[0-9a-f]+ </, "", f); sub(/>:$/, "", f)
			on = (f ~ ("::" name "$")); next }
		on' "$dis"
}

# calls RELOCS FN:CALLEE...: each FN's code has a call (a relocation of a
# type matching RELOCS) to its CALLEE.
calls() {
	local relocs=$1 pair fn call b
	shift
	for pair in "$@"; do
		fn=${pair%%:*} call=${pair#*:}
		b=$(body "$fn")
		if [ -z "$b" ]; then
			result 1 "$flavour: hmkit_port's $fn calls $call" "no function $fn in $ko"
		elif grep -qE "$relocs[[:space:]]+$call\$" <<<"$b"; then
			result 0 "$flavour: hmkit_port's $fn calls $call"
		else
			result 1 "$flavour: hmkit_port's $fn calls $call" "its code has no call to $call"
		fi
	done
}

arch=$(flavour_arch "$flavour")
if [ "$arch" = arm ]; then
	# qemu/patches/arm: 64-bit division through the run-time ABI's
	# __aeabi_uldivmod/__aeabi_ldivmod (0002), 64-bit atomics inline as
	# LDREXD/STREXD with ARMv7's DMB (0003: built for ARMv7, not ARMv6),
	# no VFP/NEON instruction (soft-float, as the kernel's C).
	llvm-objdump-14 -dr --no-show-raw-insn "$ko" | llvm-cxxfilt-14 >"$dis"
	calls 'R_ARM_(CALL|JUMP24|THM_CALL)' udiv:__aeabi_uldivmod urem:__aeabi_uldivmod sdiv:__aeabi_ldivmod srem:__aeabi_ldivmod
	b=$(body atomic_work)
	if grep -q 'ldrexd' <<<"$b" && grep -q 'strexd' <<<"$b"; then
		result 0 "$flavour: hmkit_port's AtomicU64/AtomicI64 are inline ldrexd/strexd"
	else
		result 1 "$flavour: hmkit_port's AtomicU64/AtomicI64 are inline ldrexd/strexd" "atomic_work has no ldrexd/strexd pair"
	fi
	if grep -qE '^[[:space:]]+[0-9a-f]+:[[:space:]]+dmb' <<<"$b"; then
		result 0 "$flavour: hmkit_port's Rust is built for ARMv7 (its atomics order with dmb)"
	else
		result 1 "$flavour: hmkit_port's Rust is built for ARMv7 (its atomics order with dmb)" "no dmb in atomic_work: built for ARMv6?"
	fi
	libcalls=$(llvm-nm-14 -u "$ko" | awk '$2 ~ /^__(atomic|sync)_/ { print $2 }' | xargs)
	result "$([ -z "$libcalls" ] && echo 0 || echo 1)" "$flavour: hmkit_port needs no atomic libcall" "undefined: $libcalls"
	# VFP/NEON mnemonics start with v (vmov, vadd.f64, vldr...); no integer
	# A32 instruction does.
	vfp=$(grep -cE '^[[:space:]]+[0-9a-f]+:[[:space:]]+v[a-z0-9.]*([[:space:]]|$)' "$dis" || true)
	result "$([ "$vfp" = 0 ] && echo 0 || echo 1)" "$flavour: hmkit_port has no VFP/NEON instruction" "$vfp of them"
	# hmkit's Rust has unwind tables (Kbuild: -Cforce-unwind-tables=y,
	# where the kernel's Makefile says n), so that ARM's unwinder gets
	# through its frames (kmemleak's and lockdep's stack traces, warnings):
	# nearly every function has an .ARM.exidx entry that is not
	# EXIDX_CANTUNWIND (without the flag: 206 entries, all cantunwind).
	obj=$HMKIT_BUILD/$flavour/module/src/hmkit.o
	[ -f "$obj" ] || die "$obj is missing: run tools/build-module.sh $flavour"
	entries=$(readelf -uW "$obj" | grep -cE '^0x[0-9a-f]+( <[^>]*>)?: ' || true)
	cant=$(readelf -uW "$obj" | grep -c 'cantunwind' || true)
	funcs=$(readelf -sW "$obj" | awk '$4 == "FUNC" && $7 != "UND"' | wc -l)
	result "$([ $(((entries - cant) * 10)) -ge $((funcs * 9)) ] && [ "$funcs" -gt 0 ] && echo 0 || echo 1)" \
		"$flavour: hmkit's Rust functions have ARM unwind tables" "$((entries - cant)) unwindable entries ($cant cantunwind) for $funcs functions"
	[ $fails = 0 ]
	exit
fi
objdump -dr -C --no-show-raw-insn "$ko" >"$dis"

calls 'R_386_(PC32|PLT32)' udiv:__udivdi3 urem:__umoddi3 sdiv:__divdi3 srem:__moddi3

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
