#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make port-mutants`: each port test must fail when the part of the patch
# series it guards is undone. For every mutant below, build the kernel with
# the series so changed (the bench configuration: no debug checkers, the
# quickest to build), hmkit_port.ko against it, boot it and run the port
# tests. A mutant is caught when the tests named for it fail (or the module
# cannot be built or loaded, or the kernel oopses), missed when they pass.
# About 5 minutes of kernel build per mutant on 2 cores; each is built in
# its own git worktree and kernel cache under $WORK (default
# /tmp/hmkit-mutants, about 2 GB per mutant), so a second run rebuilds only
# the module. The VM boots without hmkit.ko (its Rust would meet the same
# breakage first): only hmkit_port.ko runs.
#
#   tools/port-mutants.sh [NAME...]      default: every mutant
#
# Writes $RESULTS/port-mutants.md (default results/); exits non-zero when a
# mutant is missed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

WORK=${WORK:-/tmp/hmkit-mutants}
RESULTS=${RESULTS:-$HMKIT_ROOT/results}
P=qemu/patches

# name|patch file (glob)|sed expression on that patch|what it undoes|the
# port tests that must fail (KTAP numbers in port/port.rs; "build"
# when the port tests must not even build; "check" when tools/port-check.sh
# must fail on the compiled module)
MUTANTS=(
	"no-regparm|$P/0002-*.patch|s/^+        KBUILD_RUSTFLAGS += -Zregparm=3 -Zreg-struct-return\$/+        KBUILD_RUSTFLAGS += -Zreg-struct-return/|0002: Rust without -Zregparm=3|6 8"
	"no-reg-struct-return|$P/0002-*.patch|s/^+        KBUILD_RUSTFLAGS += -Zregparm=3 -Zreg-struct-return\$/+        KBUILD_RUSTFLAGS += -Zregparm=3/|0002: Rust without -Zreg-struct-return|7 8"
	"udivdi3-32-bit-divisor|$P/0005-*.patch|s/^+\treturn div64_u64(u, v);\$/+\treturn div_u64(u, (u32)v);/|0005: __udivdi3 divides by the divisor's low 32 bits|1 2"
	"divdi3-ignores-signs|$P/0005-*.patch|s/^+\treturn div64_s64(u, v);\$/+\treturn (s64)div64_u64(u, v);/|0005: __divdi3 divides as unsigned|3 4"
	"bindgen-x86_64|$P/0004-*.patch|s/^+BINDGEN_TARGET_x86\t:= i386-linux-gnu\$/+BINDGEN_TARGET_x86\t:= x86_64-linux-gnu/|0004: bindgen told x86_64 on i386|9"
	"no-target-cpu|$P/0007-*.patch|s/^+        rustflags-\$(CONFIG_M686)\t+= -Ctarget-cpu=i686\$/+        rustflags-\$(CONFIG_M686)\t+=/|0007: no -Ctarget-cpu for CONFIG_M686|check"
	"no-64-bit-atomics|$P/0006-*.patch|s/^+            ts.push(\"max-atomic-width\", 64);\$/+            ts.push(\"max-atomic-width\", 32);/|0006: max-atomic-width 32 (no AtomicU64)|build"
)

main_rev=$(git -C "$HMKIT_ROOT" rev-parse HEAD)
[ -z "$(git -C "$HMKIT_ROOT" status --porcelain -- qemu/patches port Kbuild)" ] ||
	die "qemu/patches, port/ or Kbuild have uncommitted changes: the mutants are built from HEAD; commit first"
[ -x "$HMKIT_BUILD/hmctl" ] || "$HMKIT_ROOT/tools/build-hmctl.sh"

want=("$@")
mkdir -p "$WORK" "$RESULTS"

report=$RESULTS/port-mutants.md
{
	echo "# The port tests against mutants of the series (tools/port-mutants.sh, at ${main_rev:0:12})"
	echo
	echo "| mutant | what it undoes | must fail | failed | verdict |"
	echo "|---|---|---|---|---|"
} >"$report.tmp"
missed=0
for m in "${MUTANTS[@]}"; do
	IFS='|' read -r name glob expr what must <<<"$m"
	if [ ${#want[@]} -gt 0 ] && ! printf '%s\n' "${want[@]}" | grep -qxF "$name"; then continue; fi
	log "mutant $name: $what"
	wt=$WORK/$name
	git -C "$HMKIT_ROOT" worktree remove --force "$wt" 2>/dev/null || rm -rf "$wt"
	git -C "$HMKIT_ROOT" worktree add -q --detach "$wt" "$main_rev"
	f=$(cd "$wt" && echo $glob)
	[ -f "$wt/$f" ] || die "mutant $name: no patch $glob"
	cp "$wt/$f" "$wt/$f.orig"
	sed -i "$expr" "$wt/$f"
	! cmp -s "$wt/$f" "$wt/$f.orig" || die "mutant $name: the sed expression changed nothing in $f: update tools/port-mutants.sh"
	rm "$wt/$f.orig"
	cache=$WORK/cache-$name
	mkdir -p "$cache"
	# Share what does not depend on the series: the pinned tools and busybox.
	for d in tools busybox; do [ -e "$cache/$d" ] || ln -s "$HMKIT_CACHE/$d" "$cache/$d"; done
	env_=(HMKIT_CACHE="$cache" HMKIT_BUILD="$wt/build")
	mkdir -p "$wt/build"
	cp "$HMKIT_BUILD/hmctl" "$wt/build/hmctl"
	log_=$WORK/$name.log
	failed=""
	if ! env "${env_[@]}" "$wt/qemu/build-kernel.sh" bench >"$log_" 2>&1; then
		failed="kernel build"
	elif ! env "${env_[@]}" "$wt/tools/build-module.sh" bench >>"$log_" 2>&1; then
		failed="build"
	elif [ "$must" = check ]; then
		env "${env_[@]}" "$wt/tools/port-check.sh" bench >>"$log_" 2>&1 || failed=check
	else
		env "${env_[@]}" "$wt/qemu/mkinitramfs.sh" bench >>"$log_" 2>&1
		set +e
		env "${env_[@]}" "$wt/qemu/run.sh" --flavour bench --no-build --no-load --timeout 300 -- \
			/selftests/hmkit/run_tests.sh hmkit_port.sh >"$WORK/$name.run" 2>&1
		set -e
		failed=$(sed -n 's/^# not ok \([0-9]*\) .*/\1/p' "$WORK/$name.run" | xargs)
		if grep -qE 'BUG:|Oops|general protection|Kernel panic' "$WORK/$name.run"; then
			failed="${failed:+$failed, }oops"
		fi
		if ! grep -q '^# ok \|^# not ok ' "$WORK/$name.run"; then
			failed="${failed:+$failed, }no report"
		fi
	fi
	caught=1
	if [ "$must" = build ] || [ "$must" = check ]; then
		[ "$failed" = "$must" ] || caught=0
	elif [ -z "$failed" ]; then
		caught=0
	else
		for t in $must; do
			grep -qw "$t" <<<"$failed" || grep -q "oops\|no report\|build" <<<"$failed" || caught=0
		done
	fi
	verdict=caught
	[ $caught = 1 ] || { verdict=MISSED; missed=$((missed + 1)); }
	echo "| $name | $what | $must | ${failed:-none} | $verdict |" >>"$report.tmp"
	echo "$([ $caught = 1 ] && echo ok || echo not ok) - mutant $name ($what): failed: ${failed:-none}"
	git -C "$HMKIT_ROOT" worktree remove --force "$wt"
done
mv "$report.tmp" "$report"
log "wrote $report"
cat "$report"
[ $missed = 0 ]
