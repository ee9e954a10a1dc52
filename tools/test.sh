#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# hmkit's whole test run (`make test`): host unit tests, the ABI lint, and
# per kernel flavour the module build and the KTAP suite in the VM, plus
# checks of the runner itself. Ends with one "N passed, N failed" line and
# exits non-zero on any failure. MARGIN (percent, default 10) is the
# instruction-count guard's allowed increase (tools/bench-guard.sh).
#
#   tools/test.sh [--flavour F]...   the whole suite on the @test flavours
#                                    (plain, pae), or on each F; then the
#                                    @split flavours' quick run (not with
#                                    --flavour), and the what-if of each
#                                    3G/1G kernel against each split's boot
#   tools/test.sh --matrix [DIR]     `make matrix`: the whole suite on every
#                                    @matrix flavour, the same workload on
#                                    each (MATRIX_WORKLOAD: "NAME MIB
#                                    SECONDS"), and the report in DIR
#                                    (default results/): matrix.{md,json,svg}
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavours=()
split_flavours=()
arm_flavours=()
matrix=""
while [ $# -gt 0 ]; do
	case "$1" in
	--flavour) flavours+=("${2:?--flavour needs a value}"); shift ;;
	--matrix)
		matrix=results
		if [ $# -ge 2 ] && [ "${2#-}" = "$2" ]; then
			matrix=$2
			shift
		fi
		;;
	*) die "usage: tools/test.sh [--flavour F]... | --matrix [DIR]" ;;
	esac
	shift
done
if [ -n "$matrix" ]; then
	[ ${#flavours[@]} = 0 ] || die "--matrix runs every @matrix flavour: give no --flavour"
	mapfile -t flavours < <(flavours_in matrix)
	# MATRIX_ARCH (i386 or arm): only that architecture's kernels.
	if [ -n "${MATRIX_ARCH:-}" ]; then
		mine=()
		for fl in "${flavours[@]}"; do
			[ "$(flavour_arch "$fl")" != "$MATRIX_ARCH" ] || mine+=("$fl")
		done
		[ ${#mine[@]} -gt 0 ] || die "MATRIX_ARCH is i386 or arm (or empty for both), not \"$MATRIX_ARCH\""
		flavours=("${mine[@]}")
	fi
	read -r matrix_workload matrix_mib matrix_seconds <<<"${MATRIX_WORKLOAD:-mix 128 10}"
	[[ "${matrix_mib:-}" =~ ^[0-9]+$ ]] && [[ "${matrix_seconds:-}" =~ ^[0-9]+$ ]] ||
		die "MATRIX_WORKLOAD is \"NAME MIB SECONDS\" (e.g. \"mix 128 10\"), not \"${MATRIX_WORKLOAD:-}\""
elif [ ${#flavours[@]} = 0 ]; then
	mapfile -t flavours < <(test_flavours)
	mapfile -t split_flavours < <(flavours_in split)
	mapfile -t arm_flavours < <(flavours_in arm)
fi

# The compile-fail cases run once, against the first i386 kernel's crate
# (compile-fail.sh builds for i386).
first_i386=
for fl in "${flavours[@]}"; do
	[ "$(flavour_arch "$fl")" != i386 ] || { first_i386=$fl; break; }
done

pass=0 fail=0 skip=0 xfail=0
failed=()
summary_lines=()
ok() { pass=$((pass + 1)); echo "ok - $1"; }
notok() { fail=$((fail + 1)); failed+=("$1"); echo "not ok - $1${2:+: $2}"; }
# add_results LOG: adds LOG's "ok - " / "not ok - " lines to the totals.
add_results() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) pass=$((pass + 1)) ;;
		"not ok - "*) fail=$((fail + 1)); failed+=("${line#not ok - }") ;;
		esac
	done < <(grep -aE '^(not )?ok - ' "$1")
}
check() { # NAME CMD...: pass when CMD succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else notok "$name"; fi
}

work=$(mktemp -d "${TMPDIR:-/tmp}/hmkit-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

"$HMKIT_ROOT/tools/setup.sh"

for crate in tools/hmctl tests/host; do
	log "host: cargo test ($crate)"
	if (cd "$HMKIT_ROOT/$crate" && cargo test --locked 2>&1) | tee "$work/cargo.log"; then
		read -r p f < <(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' "$work/cargo.log")
		pass=$((pass + p))
		fail=$((fail + f))
		[ "$f" = 0 ] || failed+=("cargo test $crate: $f failed")
		[ "$p" -gt 0 ] || notok "cargo test $crate ran no test"
	else
		notok "cargo test ($crate)" "did not build or failed"
	fi
done

# The pool core's lock-free protocol, model-checked with loom (every
# interleaving of small cases; its own target directory, as --cfg loom
# rebuilds everything).
log "host: loom model checks of the pool core"
if (cd "$HMKIT_ROOT/tests/host" && RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
	cargo test --release --locked pool_loom 2>&1) | tee "$work/loom.log"; then
	read -r p f < <(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' "$work/loom.log")
	pass=$((pass + p))
	fail=$((fail + f))
	[ "$p" -gt 0 ] || notok "loom model checks ran no test"
else
	notok "loom model checks (tests/host, --cfg loom)" "did not build or failed"
fi

log "host: ABI and layering lints"
# lint NAME SCRIPT DIR: tools/SCRIPT must accept DIR (relative to the root).
lint() {
	if (cd "$HMKIT_ROOT" && python3 "tools/$2" "$3"); then
		ok "$1"
	else
		notok "$1" "tools/$2 $3 failed: see its file:line list above"
	fi
}
# lint_rejects NAME SCRIPT DIR [ARG...]: tools/SCRIPT (with ARGs) must fail
# on the fixture DIR and report exactly the lines marked "// ERROR" there
# (by file:line; the wording is free).
lint_rejects() {
	local out want got missing extra
	if out=$(cd "$HMKIT_ROOT" && python3 "tools/$2" "${@:4}" "$3" 2>&1); then
		notok "$1" "tools/$2 accepted $3"
		return
	fi
	want=$(cd "$HMKIT_ROOT" && { grep -rnF '// ERROR' "$3" || true; } | cut -d: -f1,2 | sort -u)
	got=$(sed -n 's/^\(check-abi: \)\{0,1\}\([^ :]*:[0-9][0-9]*\): .*/\2/p' <<<"$out" | sort -u)
	if [ -n "$want" ] && [ "$want" = "$got" ]; then
		ok "$1"
		return
	fi
	printf '%s\n' "$out"
	missing=$(comm -23 <(echo "$want") <(echo "$got") | xargs)
	extra=$(comm -13 <(echo "$want") <(echo "$got") | xargs)
	notok "$1" "tools/$2 $3: not reported: ${missing:-none}; reported but not marked: ${extra:-none}"
}
lint "check-abi: src/ is clean" check-abi.py src
# The port tests' two calls of the by-value hazard (their XFAILs) are the
# only ones anywhere: allowed by name there, and reported without it.
if out=$(cd "$HMKIT_ROOT" && python3 tools/check-abi.py --xfail hmkit_port_xfail_u64 \
	--xfail hmkit_port_xfail_struct port 2>&1) &&
	[ "$(grep -c '^check-abi: allowed: ' <<<"$out")" = 2 ]; then
	ok "check-abi: port/ is clean but for its two XFAIL declarations"
else
	notok "check-abi: port/ is clean but for its two XFAIL declarations" "$out"
fi
if ! out=$(cd "$HMKIT_ROOT" && python3 tools/check-abi.py port 2>&1) &&
	[ "$(grep -oE 'fn hmkit_port_xfail_(u64|struct) takes' <<<"$out" | sort -u | wc -l)" = 2 ] &&
	[ "$(grep -c '^check-abi: port/' <<<"$out")" = 2 ]; then
	ok "check-abi: without --xfail, port/'s two by-value declarations are rejected, and only they"
else
	notok "check-abi: without --xfail, port/'s two by-value declarations are rejected, and only they" "$out"
fi
lint "check-abi: accepts the good fixture" check-abi.py tools/testdata/abi-good
lint_rejects "check-abi: rejects u64 and loff_t by value" check-abi.py tools/testdata/abi-by-value
lint_rejects "check-abi: rejects fn pointers whose parameters are u64/loff_t" \
	check-abi.py tools/testdata/abi-fnptr
lint_rejects "check-abi: rejects #[repr(C)] mirrors that differ from the C struct" \
	check-abi.py tools/testdata/abi-struct
lint_rejects "check-abi: rejects hmkit_* declarations that differ from shim.h" \
	check-abi.py tools/testdata/abi-proto
lint_rejects "check-abi: rejects calls to asmlinkage functions with parameters (regparm(0) on i386)" \
	check-abi.py tools/testdata/abi-asmlinkage/src --kernel-src tools/testdata/abi-asmlinkage/ksrc
lint "check-layers: src/ keeps its layers, and unsafe in sys/ and the pool's core/window" \
	check-layers.py src
# tools/profile.py (make profile) on a fixture QEMU code log: instructions per
# block run, by function, the unknown code and the untranslated runs.
d=$HMKIT_ROOT/tools/testdata/profile
if got=$(python3 "$HMKIT_ROOT/tools/profile.py" "$d/qemu-code.log" "$d/nm.txt" 0xf8000000 2 2>&1) &&
	[ "$got" = "$(cat "$d/expected.txt")" ]; then
	ok "profile.py: adds up the fixture log by function"
else
	notok "profile.py: adds up the fixture log by function" "$(diff <(echo "$got") "$d/expected.txt" | head -20)"
fi
lint "check-layers: accepts the good fixture" check-layers.py tools/testdata/layers-good
lint_rejects "check-layers: rejects upward uses, unsafe and files in no layer" \
	check-layers.py tools/testdata/layers-bad

# The kernel patch series as a reviewer gets it: git am, checkpatch --strict.
log "host: the patch series (tools/series.sh check)"
set +e
"$HMKIT_ROOT/tools/series.sh" check 2>&1 | tee "$work/series.log"
set -e
add_results "$work/series.log"
for series in x86 arm; do
	grep -Eq "^(not )?ok - series $series: the cover letter" "$work/series.log" ||
		notok "tools/series.sh check ran on the $series series" "see above"
done

# add_suite LOG LABEL: the leaf results of a run_tests.sh run in the VM,
# nested one level ("# ok 3 name"), into the totals.
# suite_pass, suite_fail and suite_skip count the same, for a flavour's
# suite.txt in the matrix.
suite_pass=0 suite_fail=0 suite_skip=0
add_suite() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"# ok "*"# SKIP"*) skip=$((skip + 1)) suite_skip=$((suite_skip + 1)) ;;
		"# ok "*"# XFAIL"*) xfail=$((xfail + 1)) ;;
		"# ok "*) pass=$((pass + 1)) suite_pass=$((suite_pass + 1)) ;;
		"# not ok "*) fail=$((fail + 1)) suite_fail=$((suite_fail + 1)); failed+=("$2: ${line#\# }") ;;
		esac
	done < <(grep -aE '^# (not )?ok [0-9]+ ' "$1")
}

# debian_root ARCH: the Debian root of the census and workload tests for
# ARCH (i386, armhf) builds (cached: a few minutes cold for i386, about 10
# for armhf, whose package scripts run emulated); tried once per run.
declare -A rootfs_built=()
debian_root() {
	if [ -z "${rootfs_built[$1]:-}" ]; then
		log "the Debian $1 root (qemu/mkrootfs.sh --arch $1 debian)"
		if "$HMKIT_ROOT/qemu/mkrootfs.sh" --arch "$1" debian >/dev/null; then
			rootfs_built[$1]=yes
		else
			rootfs_built[$1]=no
			notok "the Debian $1 root filesystem builds (qemu/mkrootfs.sh --arch $1 debian)"
		fi
	fi
	[ "${rootfs_built[$1]}" = yes ]
}
debian_root i386 || true

# What hmctl matrix compares, one directory per flavour (capture.sh, run
# in the guest before the suite, on the idle machine).
cap=$work/capture
mkdir -p "$cap"

# build_flavour FL: FL's kernel and hmkit.ko (a result each), hmctl,
# page-types and the initramfs; false if one of them does not build.
build_flavour() {
	local fl=$1
	log "flavour $fl: build"
	if ! "$HMKIT_ROOT/qemu/build-kernel.sh" "$fl"; then
		notok "$fl: kernel build"
		return 1
	fi
	ok "$fl: kernel builds, every requested config option set"
	if ! "$HMKIT_ROOT/tools/build-module.sh" "$fl"; then
		notok "$fl: hmkit.ko builds without warnings"
		return 1
	fi
	ok "$fl: hmkit.ko builds without warnings"
	# The host runs the i386 hmctl (hmctl matrix, bench-report): build it
	# for every flavour, and the guest's own for ARM.
	local arch
	arch=$(flavour_arch "$fl")
	if ! "$HMKIT_ROOT/tools/build-hmctl.sh"; then
		notok "hmctl builds (tools/build-hmctl.sh)"
		return 1
	fi
	if [ "$arch" != i386 ] && ! "$HMKIT_ROOT/tools/build-hmctl.sh" "$arch"; then
		notok "hmctl builds for $arch (tools/build-hmctl.sh $arch)"
		return 1
	fi
	"$HMKIT_ROOT/tools/build-page-types.sh" "$fl" || notok "$fl: page-types builds (tools/build-page-types.sh)"
	if ! "$HMKIT_ROOT/qemu/mkinitramfs.sh" "$fl"; then
		notok "$fl: the initramfs builds (qemu/mkinitramfs.sh)"
		return 1
	fi
}

# captured FL: capture.sh saved what hmctl matrix needs for FL (with
# --matrix, the workload's report too).
captured() {
	local what="layout, zones and what-if" want=(layout.json zones.json whatif.json) f miss=""
	if [ -n "$matrix" ]; then
		what="$what, and workload $matrix_workload,"
		want+=("workload-$matrix_workload.json")
	fi
	for f in "${want[@]}"; do [ -s "$cap/$1/$f" ] || miss="$miss $f"; done
	if [ -z "$miss" ]; then
		ok "$1: $what captured for the matrix"
	else
		notok "$1: $what captured for the matrix" "missing:$miss (see capture.sh's messages above)"
	fi
}

# whole_suite FL: everything on FL.
whole_suite() {
	local fl=$1 rc port
	local -a run
	suite_pass=0 suite_fail=0 suite_skip=0
	build_flavour "$fl" || return 0
	mkdir -p "$cap/$fl"
	# With --matrix the capture is made on the Debian root, with the
	# workload, on x86 (its splits are what the workload is compared
	# across; both ARM flavours are 3G/1G, each its own reference).
	local first=""
	[ -n "$matrix" ] && [ "$(flavour_arch "$fl")" = i386 ] || first="sh /selftests/hmkit/capture.sh /out;"
	[ "$fl" != "$first_i386" ] || {
		# The safe API's compile-fail cases, against this flavour's kernel
		# crate (one flavour is enough: the cases are about types).
		log "flavour $fl: compile-fail cases"
		set +e
		"$HMKIT_ROOT/tools/compile-fail.sh" "$fl" 2>&1 | tee "$work/cf-$fl.log"
		set -e
		add_results "$work/cf-$fl.log"
		grep -q '^ok - compile-fail: the module builds' "$work/cf-$fl.log" ||
			notok "compile-fail: harness ran" "see the output above"
	}
	# What hmkit_port.ko must contain for its results to mean anything.
	set +e
	"$HMKIT_ROOT/tools/port-check.sh" "$fl" 2>&1 | tee "$work/portcheck-$fl.log"
	set -e
	add_results "$work/portcheck-$fl.log"
	grep -qE '^(not )?ok - ' "$work/portcheck-$fl.log" || notok "$fl: tools/port-check.sh ran" "see above"
	run=("$HMKIT_ROOT/qemu/run.sh" --flavour "$fl" --no-build)

	log "flavour $fl: selftests in the VM"
	set +e
	# The whole suite takes 4 to 8 minutes on an idle machine (ARM's TCG
	# is slower); the timeout is a guard against a hung guest, not a
	# deadline for a busy host.
	"${run[@]}" --timeout 1800 --out "$cap/$fl" -- sh -c "$first exec /selftests/hmkit/run_tests.sh" 2>&1 | tee "$work/suite-$fl.log"
	rc=${PIPESTATUS[0]}
	set -e
	add_suite "$work/suite-$fl.log" "$fl"
	if [ "$rc" = 0 ]; then ok "$fl: VM suite run clean (exit 0, no splat, clean rmmod)"; else notok "$fl: VM suite run" "exit $rc"; fi
	[ -n "$matrix" ] || captured "$fl"
	# The port tests' own line, for the totals (their results are counted above).
	port=$(tr -d '\r' <"$work/suite-$fl.log" | sed -n 's/^# # \([0-9]* tests: .*expected failures\)$/\1/p' | tail -n 1)
	if [ -n "$port" ]; then
		echo "# $fl: hmkit_port: $port"
		summary_lines+=("$fl: port tests (hmkit_port.ko): $port")
	else
		notok "$fl: the port tests (hmkit_port.sh) reported" "no totals line in the suite's output"
	fi

	# A machine without highmem (512 MiB: all of it direct-mapped): what
	# does not depend on highmem still passes, what does says so and skips
	# (one flavour is enough: the split and page-table format do not
	# change whether there is highmem at all; not with --matrix, which is
	# about the splits).
	if [ "$fl" = "${flavours[0]}" ] && [ -z "$matrix" ]; then
		log "flavour $fl: no highmem (512 MiB of RAM)"
		set +e
		"${run[@]}" --mem 512M -- /selftests/hmkit/run_tests.sh hmkit_basic.sh hmkit_zones.sh hmkit_layout.sh \
			hmkit_census.sh hmkit_explain.sh hmkit_draw.sh hmkit_vmalloc.sh hmkit_pool.sh hmkit_kmap.sh \
			hmkit_kmaps.sh hmkit_bench.sh hmkit_kmemleak.sh 2>&1 | tee "$work/nohigh-$fl.log"
		rc=${PIPESTATUS[0]}
		set -e
		add_suite "$work/nohigh-$fl.log" "$fl (no highmem)"
		if [ "$rc" = 0 ]; then ok "$fl: no-highmem run clean (exit 0, no splat)"; else notok "$fl: no-highmem run" "exit $rc"; fi
	fi

	# The census under real tools, on the Debian root with a scratch disk:
	# its cross-checks again (with anon and page cache from stress-ng and
	# fio), the root's own checks, and a short run of each workload (and
	# with --matrix, first the capture with the matrix's workload).
	# (i386, or its armhf twin; the matrix's workload capture is x86's.)
	local i386=
	[ "$(flavour_arch "$fl")" != i386 ] || i386=1
	if debian_root "$(debian_arch "$(flavour_arch "$fl")")"; then
		log "flavour $fl: the Debian root: census and short workloads"
		first=""
		[ -z "$matrix" ] || [ -z "$i386" ] || first="sh /selftests/hmkit/capture.sh /out $matrix_workload $matrix_mib $matrix_seconds;"
		set +e
		"${run[@]}" --rootfs debian --disk 1G --timeout 1800 --out "$cap/$fl" -- sh -c "$first exec \
			/selftests/hmkit/run_tests.sh hmkit_rootfs.sh hmkit_census.sh hmkit_kmaps.sh hmkit_workloads.sh" 2>&1 | tee "$work/debian-$fl.log"
		rc=${PIPESTATUS[0]}
		set -e
		add_suite "$work/debian-$fl.log" "$fl (Debian root)"
		if [ "$rc" = 0 ]; then ok "$fl: Debian root run clean (exit 0, no splat, clean rmmod)"; else notok "$fl: Debian root run" "exit $rc"; fi
		[ -z "$matrix" ] || [ -z "$i386" ] || captured "$fl"
	fi

	# The kernel crate's own Rust doctests (KUnit, built in, off by
	# default): one boot with them on, parsed by the kernel's kunit.py
	# (on the flavours with kunit.config).
	if flavour_fragments "$fl" | grep -qw kunit.config; then
		kunit_doctests "$fl"
	else
		echo "# $fl: no kunit.config in its fragments: the kernel's Rust doctests run on the @test flavours"
	fi

	# Instructions per op under --icount against the committed baseline
	# (tools/bench-guard.sh: a count of work, not a timing), where one is
	# recorded (the @test flavours).
	if [ -f "$HMKIT_ROOT/qemu/bench-baseline/$fl.json" ]; then
		log "flavour $fl: instruction-count guard of the benchmark"
		set +e
		"$HMKIT_ROOT/tools/bench-guard.sh" "$fl" 2>&1 | tee "$work/guard-$fl.log"
		rc=${PIPESTATUS[0]}
		set -e
		if [ "$rc" = 0 ]; then
			ok "$fl: instructions per op within ${MARGIN:-10}% of qemu/bench-baseline/$fl.json"
		else
			notok "$fl: instructions per op within ${MARGIN:-10}% of qemu/bench-baseline/$fl.json" "see the table above; 'make bench-baseline' records a new baseline"
		fi
	else
		echo "# $fl: no qemu/bench-baseline/$fl.json: the instruction-count guard runs on the @test flavours"
	fi

	# The VM suite's own results on this flavour (initramfs, Debian root,
	# no highmem), for the matrix.
	printf '%s passed, %s failed, %s skipped\n' $suite_pass $suite_fail $suite_skip >"$cap/$fl/suite.txt"

	# The runner itself (not with --matrix: it does not depend on the kernel).
	[ -z "$matrix" ] || return 0
	log "flavour $fl: runner checks"
	set +e
	"${run[@]}" -- sh -c 'exit 3' >"$work/rc-$fl.log" 2>&1
	rc=$?
	set -e
	if [ "$rc" = 3 ]; then ok "$fl: run.sh returns the guest command's status"; else notok "$fl: run.sh returns the guest command's status" "got $rc, want 3"; fi
	set +e
	"${run[@]}" -- sh -c 'echo WARNING >/sys/kernel/debug/provoke-crash/DIRECT; echo survived' >"$work/warn-$fl.log" 2>&1
	rc=$?
	set -e
	if [ "$rc" != 0 ] && grep -q 'WARNING:' "$work/warn-$fl.log" && grep -q 'the kernel reported problems' "$work/warn-$fl.log"; then
		ok "$fl: run.sh fails a run whose kernel WARNs"
	else
		notok "$fl: run.sh fails a run whose kernel WARNs" "exit $rc"
		tail -n 20 "$work/warn-$fl.log"
	fi
}

# kunit_doctests FL: the kernel crate's Rust doctests on FL (one boot).
kunit_doctests() {
	local fl=$1 ksrc kout rc summary kp kf ks kc ke
	local -a run=("$HMKIT_ROOT/qemu/run.sh" --flavour "$fl" --no-build)
	log "flavour $fl: the kernel's Rust doctests (KUnit)"
	ksrc=$(readlink -f "$(kernel_dir "$fl")/source")
	kout=$work/kunit-$fl
	set +e
	"${run[@]}" --no-load --append kunit.enable=1 --timeout 1200 --out "$kout" -- true >"$work/kunit-run-$fl.log" 2>&1
	rc=$?
	# KUnit logs at KERN_INFO, below the console's loglevel: parse the
	# guest's whole dmesg, which init saves.
	python3 "$ksrc/tools/testing/kunit/kunit.py" parse "$kout/dmesg.txt" >"$work/kunit-$fl.log" 2>&1
	set -e
	summary=$(grep -aE 'Testing complete\. Ran [0-9]+ tests' "$work/kunit-$fl.log" | tail -n 1)
	kp=$(sed -n 's/.*passed: \([0-9]*\).*/\1/p' <<<"$summary")
	kf=$(sed -n 's/.*failed: \([0-9]*\).*/\1/p' <<<"$summary")
	ks=$(sed -n 's/.*skipped: \([0-9]*\).*/\1/p' <<<"$summary")
	kc=$(sed -n 's/.*crashed: \([0-9]*\).*/\1/p' <<<"$summary")
	ke=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' <<<"$summary")
	if [ "$rc" != 0 ] || [ -z "$kp" ] || [ "${kp:-0}" = 0 ]; then
		tail -n 30 "$work/kunit-run-$fl.log" "$work/kunit-$fl.log"
		notok "$fl: the kernel's Rust doctests ran" "boot exit $rc; kunit.py: ${summary:-no summary}"
	else
		echo "# $fl: kunit.py parse: $summary"
		summary_lines+=("$fl: the kernel's Rust doctests (kunit.py parse): $summary")
		pass=$((pass + kp))
		fail=$((fail + ${kf:-0} + ${kc:-0} + ${ke:-0}))
		skip=$((skip + ${ks:-0}))
		[ "${kf:-0}" = 0 ] && [ "${kc:-0}" = 0 ] && [ "${ke:-0}" = 0 ] || {
			grep -aE '\[(FAILED|CRASHED)\]' "$work/kunit-$fl.log" | head -n 20
			failed+=("$fl: KUnit: $summary")
		}
	fi
}

# split_suite FL: what depends on the split, on FL (an @split flavour):
# the module, the layout against the kernel's page-table dump, zones,
# census, explain, drawings, mappings and kmap tracing, and the capture
# for the what-if check.
split_suite() {
	local fl=$1 rc
	build_flavour "$fl" || return 0
	mkdir -p "$cap/$fl"
	log "flavour $fl: the split's selftests in the VM"
	set +e
	"$HMKIT_ROOT/qemu/run.sh" --flavour "$fl" --no-build --out "$cap/$fl" -- sh -c "sh /selftests/hmkit/capture.sh /out; \
		exec /selftests/hmkit/run_tests.sh hmkit_basic.sh hmkit_zones.sh hmkit_layout.sh hmkit_census.sh hmkit_explain.sh \
		hmkit_draw.sh hmkit_vmalloc.sh hmkit_pool.sh hmkit_kmap.sh hmkit_kmaps.sh hmkit_kmemleak.sh" 2>&1 | tee "$work/split-$fl.log"
	rc=${PIPESTATUS[0]}
	set -e
	add_suite "$work/split-$fl.log" "$fl"
	if [ "$rc" = 0 ]; then ok "$fl: split run clean (exit 0, no splat, clean rmmod)"; else notok "$fl: split run" "exit $rc"; fi
	captured "$fl"

	# Little highmem: VMSPLIT_2G_OPT's lowmem reaches 2032 MiB, so 2 GiB
	# of RAM leaves a 16 MiB HighMem zone (one split flavour is enough).
	if [ "$fl" = "${split_flavours[0]}" ]; then
		log "flavour $fl: little highmem (2 GiB of RAM)"
		set +e
		"$HMKIT_ROOT/qemu/run.sh" --flavour "$fl" --no-build --mem 2G -- /selftests/hmkit/run_tests.sh hmkit_zones.sh \
			hmkit_census.sh hmkit_explain.sh hmkit_kmap.sh hmkit_pool.sh hmkit_bench.sh hmkit_kmemleak.sh 2>&1 | tee "$work/little-$fl.log"
		rc=${PIPESTATUS[0]}
		set -e
		add_suite "$work/little-$fl.log" "$fl (little highmem)"
		if [ "$rc" = 0 ]; then ok "$fl: little-highmem run clean (exit 0, no splat)"; else notok "$fl: little-highmem run" "exit $rc"; fi
	fi
}

# arm_suite FL: hmkit on 32-bit ARM (an @arm flavour) in make test: what
# the compiled port module must contain, the port's own tests, the layout
# against ARM's page-table dump, zones, census, what-if, explain, the
# wrappers, the pool and its stress, kmap tracing, failure injection aimed
# at hmkit, and the kernel's Rust doctests. (make matrix runs the whole suite on every ARM flavour.)
arm_suite() {
	local fl=$1 rc
	build_flavour "$fl" || return 0
	set +e
	"$HMKIT_ROOT/tools/port-check.sh" "$fl" 2>&1 | tee "$work/portcheck-$fl.log"
	set -e
	add_results "$work/portcheck-$fl.log"
	grep -qE '^(not )?ok - ' "$work/portcheck-$fl.log" || notok "$fl: tools/port-check.sh ran" "see above"
	log "flavour $fl: ARM selftests in the VM"
	set +e
	"$HMKIT_ROOT/qemu/run.sh" --flavour "$fl" --no-build --timeout 1800 -- /selftests/hmkit/run_tests.sh \
		hmkit_basic.sh hmkit_port.sh hmkit_zones.sh hmkit_layout.sh hmkit_census.sh hmkit_explain.sh hmkit_draw.sh \
		hmkit_vmalloc.sh hmkit_kmap.sh hmkit_pool.sh hmkit_selftest.sh hmkit_kmaps.sh hmkit_faults.sh hmkit_kmemleak.sh 2>&1 | tee "$work/arm-$fl.log"
	rc=${PIPESTATUS[0]}
	set -e
	add_suite "$work/arm-$fl.log" "$fl"
	if [ "$rc" = 0 ]; then ok "$fl: ARM run clean (exit 0, no splat, clean rmmod)"; else notok "$fl: ARM run" "exit $rc"; fi
	kunit_doctests "$fl"
}

for fl in "${flavours[@]}"; do
	whole_suite "$fl"
done
for fl in "${split_flavours[@]}"; do
	split_suite "$fl"
done
for fl in "${arm_flavours[@]}"; do
	arm_suite "$fl"
done

# The what-if of each 3G/1G kernel against the real boot of each split
# of the same paging (hmctl matrix, on the host), unless --flavour chose
# the flavours.
# (ARM kernels are rows of their own: hmctl matrix takes a split's
# reference from its own architecture.)
dirs=()
for d in "$cap"/*/; do
	[ -s "$d/layout.json" ] || continue
	dirs+=("${d%/}")
done
if [ -n "$matrix" ] || [ ${#split_flavours[@]} -gt 0 ]; then
	log "the what-if against each split's boot (hmctl matrix)"
	set +e
	"$HMKIT_BUILD/hmctl" matrix --check "${dirs[@]}" 2>&1 | tee "$work/matrix-check.log"
	set -e
	add_results "$work/matrix-check.log"
	# (A run of 3G/1G kernels only, as MATRIX_ARCH=arm is, has nothing
	# but references to list.)
	grep -qE '^(not )?ok - matrix|^# matrix: .* is the reference' "$work/matrix-check.log" || notok "hmctl matrix --check ran" "see above"
fi
if [ -n "$matrix" ]; then
	mkdir -p "$matrix"
	if "$HMKIT_BUILD/hmctl" matrix "${dirs[@]}" --markdown "$matrix/matrix.md" --json-out "$matrix/matrix.json" \
		--svg "$matrix/matrix.svg" >/dev/null; then
		rm -rf "$matrix/matrix"
		cp -r "$cap" "$matrix/matrix"
		echo "# the matrix: $matrix/matrix.md, .json, .svg (what each kernel saved: $matrix/matrix/)"
	else
		notok "hmctl matrix wrote the report"
	fi
fi

[ ${#summary_lines[@]} = 0 ] || printf '# %s\n' "${summary_lines[@]}"
echo "# $(($(date +%s) - start)) s; skipped: $skip; expected failures (XFAIL, not in the totals): $xfail"
if [ $fail -gt 0 ]; then
	echo "# failed:"
	printf '#   %s\n' "${failed[@]}"
fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]
