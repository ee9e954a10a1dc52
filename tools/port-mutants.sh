#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make port-mutants`: each port test must fail when the part of the patch
# series it guards is undone. For every mutant below, build the kernel with
# the series so changed (the bench configuration: no debug checkers, the
# quickest to build), hmkit_port.ko against it, boot it without hmkit.ko
# (whose Rust would meet the same breakage first) and run only the port
# tests named for the mutant, one boot each (the module parameter "tests").
# A mutant is caught when each of those tests fails or oopses, or, for the
# ones marked so, when the port tests stop building with the expected error
# or tools/port-check.sh fails; missed when they pass. A kernel that does
# not build proves nothing and is reported as such.
#
# About 5 minutes of kernel build per mutant on 2 cores; each is built in
# its own git worktree and kernel cache under $WORK (default
# /tmp/hmkit-mutants, about 2 GB per mutant), so a second run rebuilds only
# the module.
#
#   tools/port-mutants.sh [NAME...]      default: every mutant
#
# Writes $RESULTS/port-mutants.md (default results/); exits non-zero when a
# mutant is missed or inconclusive.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

WORK=${WORK:-/tmp/hmkit-mutants}
RESULTS=${RESULTS:-$HMKIT_ROOT/results}
P=qemu/patches/x86

# name|patch file (glob)|sed expression on it, or @FUNCTION run in the
# worktree|what it undoes|what must fail: port test numbers (port/port.rs),
# "build:REGEX" (the module build must fail, its log matching REGEX) or
# "check" (tools/port-check.sh must fail)
MUTANTS=(
	"no-regparm|$P/0001-*.patch|s/^+        KBUILD_RUSTFLAGS += -Zregparm=3 -Zreg-struct-return\$/+        KBUILD_RUSTFLAGS += -Zreg-struct-return/|0001: Rust without -Zregparm=3|6 8"
	"no-reg-struct-return|$P/0001-*.patch|s/^+        KBUILD_RUSTFLAGS += -Zregparm=3 -Zreg-struct-return\$/+        KBUILD_RUSTFLAGS += -Zregparm=3/|0001: Rust without -Zreg-struct-return|7 8"
	"udivdi3-32-bit|$P/0003-*.patch|s/^+\treturn div64_u64(u, v);\$/+\treturn (u32)div_u64(u, (u32)v);/|0003: __udivdi3 with a 32-bit divisor and quotient|1 2 5"
	"divdi3-unsigned|$P/0003-*.patch|s/^+\treturn div64_s64(u, v);\$/+\treturn (s64)div64_u64(u, v);/|0003: __divdi3 divides as unsigned|3 4"
	"no-64-bit-atomics|$P/0004-*.patch|s/^+            ts.push(\"max-atomic-width\", 64);\$/+            ts.push(\"max-atomic-width\", 32);/|0004: max-atomic-width 32 (no AtomicU64)|build:unresolved imports .*AtomicI64.*AtomicU64"
	"no-target-cpu|$P/0005-*.patch|s/^+        rustflags-\$(CONFIG_M686)\t+= -Ctarget-cpu=i686\$/+        rustflags-\$(CONFIG_M686)\t+=/|0005: no -Ctarget-cpu for CONFIG_M686|check"
	"bindgen-align-double||@bindgen_align_double|bindgen given -malign-double (not i386's layout)|9"
)

# Mutant functions (run in the worktree): an extra patch after the series.
bindgen_align_double() {
	cat >qemu/patches/x86/0099-mutant-bindgen-align-double.patch <<'PATCH'
diff --git a/rust/Makefile b/rust/Makefile
--- a/rust/Makefile
+++ b/rust/Makefile
@@ -268,7 +268,7 @@
 # All warnings are inhibited since GCC builds are very experimental,
 # many GCC warnings are not supported by Clang, they may only appear in
 # some configurations, with new GCC versions, etc.
-bindgen_extra_c_flags = -w --target=$(BINDGEN_TARGET)
+bindgen_extra_c_flags = -w --target=$(BINDGEN_TARGET) -malign-double
 
 # Auto variable zero-initialization requires an additional special option with
 # clang that is going to be removed sometime in the future (likely in
PATCH
}

main_rev=$(git -C "$HMKIT_ROOT" rev-parse HEAD)
[ -z "$(git -C "$HMKIT_ROOT" status --porcelain -- qemu/patches port Kbuild selftests)" ] ||
	die "qemu/patches, port/, selftests/ or Kbuild have uncommitted changes: the mutants are built from HEAD; commit first"
[ -x "$HMKIT_BUILD/hmctl" ] || "$HMKIT_ROOT/tools/build-hmctl.sh"

want=("$@")
mkdir -p "$WORK" "$RESULTS"
report=$RESULTS/port-mutants.md
wt=""
cleanup() {
	[ -z "$wt" ] || git -C "$HMKIT_ROOT" worktree remove --force "$wt" 2>/dev/null || true
	rm -f "$report.tmp"
}
trap cleanup EXIT
{
	echo "# The port tests against mutants of the series (tools/port-mutants.sh, at ${main_rev:0:12})"
	echo
	echo "| mutant | what it undoes | must fail | failed | verdict |"
	echo "|---|---|---|---|---|"
} >"$report.tmp"
bad=0
for m in "${MUTANTS[@]}"; do
	IFS='|' read -r name glob expr what must <<<"$m"
	if [ ${#want[@]} -gt 0 ] && ! printf '%s\n' "${want[@]}" | grep -qxF "$name"; then continue; fi
	log "mutant $name: $what"
	wt=$WORK/$name
	git -C "$HMKIT_ROOT" worktree remove --force "$wt" 2>/dev/null || rm -rf "$wt"
	git -C "$HMKIT_ROOT" worktree add -q --detach "$wt" "$main_rev"
	if [ "${expr#@}" != "$expr" ]; then
		(cd "$wt" && "${expr#@}")
	else
		f=$(cd "$wt" && echo $glob)
		[ -f "$wt/$f" ] || die "mutant $name: no patch $glob"
		cp "$wt/$f" "$wt/$f.orig"
		sed -i "$expr" "$wt/$f"
		! cmp -s "$wt/$f" "$wt/$f.orig" || die "mutant $name: the sed expression changed nothing in $f: update tools/port-mutants.sh"
		rm "$wt/$f.orig"
	fi
	cache=$WORK/cache-$name
	mkdir -p "$cache"
	# Share what does not depend on the series: the pinned tools and busybox.
	for d in tools busybox; do [ -e "$cache/$d" ] || ln -s "$HMKIT_CACHE/$d" "$cache/$d"; done
	env_=(HMKIT_CACHE="$cache" HMKIT_BUILD="$wt/build")
	mkdir -p "$wt/build"
	cp "$HMKIT_BUILD/hmctl" "$wt/build/hmctl"
	log_=$WORK/$name.log
	failed="" verdict=""
	if ! env "${env_[@]}" "$wt/qemu/build-kernel.sh" bench >"$log_" 2>&1; then
		verdict="INCONCLUSIVE (the kernel did not build: $log_)"
	elif ! env "${env_[@]}" "$wt/tools/build-module.sh" bench >>"$log_" 2>&1; then
		failed="module build"
		case $must in
		build:*) grep -qE "${must#build:}" "$log_" && verdict=caught ||
			verdict="INCONCLUSIVE (the module build failed otherwise: $log_)" ;;
		*) verdict="INCONCLUSIVE (the module build failed: $log_)" ;;
		esac
	elif [ "${must%%:*}" = build ]; then
		verdict=MISSED
	elif [ "$must" = check ]; then
		if env "${env_[@]}" "$wt/tools/port-check.sh" bench >>"$log_" 2>&1; then
			verdict=MISSED
		else
			failed=$(grep '^not ok' "$log_" | sed 's/^not ok - //' | paste -sd ';' -)
			verdict=caught
		fi
	elif ! env "${env_[@]}" "$wt/qemu/mkinitramfs.sh" bench >>"$log_" 2>&1; then
		verdict="INCONCLUSIVE (mkinitramfs failed: $log_)"
	else
		# One boot per named test, that test alone: each must fail (a
		# not-ok result or an oops) on its own.
		verdict=caught
		for t in $must; do
			set +e
			env "${env_[@]}" "$wt/qemu/run.sh" --flavour bench --no-build --no-load --timeout 300 -- \
				sh -c "PORT_TESTS=$((1 << (t - 1))) /selftests/hmkit/run_tests.sh hmkit_port.sh" \
				>"$WORK/$name-$t.run" 2>&1
			set -e
			# The test's own result line (its name starts with its group),
			# not the "not ok 1 port_module_loads" of a failed insmod.
			if grep -qE "^# not ok $t (div|fmt|abi|bindgen|atomic): " "$WORK/$name-$t.run"; then
				failed="${failed:+$failed, }$t"
			elif grep -qE 'BUG:|Oops|general protection|divide error|Kernel panic' "$WORK/$name-$t.run"; then
				failed="${failed:+$failed, }$t (oops)"
			else
				verdict=MISSED
			fi
		done
	fi
	[ "$verdict" = caught ] || bad=$((bad + 1))
	echo "| $name | $what | ${must} | ${failed:-none} | $verdict |" >>"$report.tmp"
	echo "$([ "$verdict" = caught ] && echo ok || echo not ok) - mutant $name ($what): failed: ${failed:-none}: $verdict"
	git -C "$HMKIT_ROOT" worktree remove --force "$wt"
	wt=""
done
mv "$report.tmp" "$report"
log "wrote $report"
cat "$report"
[ $bad = 0 ]
