#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# hmkit's whole test run (`make test`): host unit tests, the ABI lint, and
# per kernel flavour the module build and the KTAP suite in the VM, plus
# checks of the runner itself. Ends with one "N passed, N failed" line and
# exits non-zero on any failure.
#
#   tools/test.sh [--flavour F]...     default: the test flavours (plain, pae)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavours=()
while [ $# -gt 0 ]; do
	case "$1" in
	--flavour) flavours+=("${2:?--flavour needs a value}"); shift ;;
	*) die "usage: tools/test.sh [--flavour F]..." ;;
	esac
	shift
done
[ ${#flavours[@]} -gt 0 ] || mapfile -t flavours < <(test_flavours)

pass=0 fail=0 skip=0
failed=()
ok() { pass=$((pass + 1)); echo "ok - $1"; }
notok() { fail=$((fail + 1)); failed+=("$1"); echo "not ok - $1${2:+: $2}"; }
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

log "host: ABI lint"
check "check-abi: src/ is clean" python3 "$HMKIT_ROOT/tools/check-abi.py" "$HMKIT_ROOT/src"
check "check-abi: rejects u64 and loff_t by value" \
	bash -c "! python3 '$HMKIT_ROOT/tools/check-abi.py' '$HMKIT_ROOT/tools/testdata' 2>/dev/null"

for fl in "${flavours[@]}"; do
	log "flavour $fl: build"
	if ! "$HMKIT_ROOT/qemu/build-kernel.sh" "$fl"; then
		notok "$fl: kernel build"
		continue
	fi
	ok "$fl: kernel builds, every requested config option set"
	if ! "$HMKIT_ROOT/tools/build-module.sh" "$fl"; then
		notok "$fl: hmkit.ko builds without warnings"
		continue
	fi
	ok "$fl: hmkit.ko builds without warnings"
	"$HMKIT_ROOT/tools/build-hmctl.sh"
	"$HMKIT_ROOT/qemu/mkinitramfs.sh" "$fl"
	run=("$HMKIT_ROOT/qemu/run.sh" --flavour "$fl" --no-build)

	log "flavour $fl: selftests in the VM"
	set +e
	"${run[@]}" -- /selftests/hmkit/run_tests.sh 2>&1 | tee "$work/suite-$fl.log"
	rc=${PIPESTATUS[0]}
	set -e
	# Leaf results are nested one level ("# ok 3 name").
	while IFS= read -r line; do
		case "$line" in
		"# ok "*"# SKIP"*) skip=$((skip + 1)) ;;
		"# ok "*) pass=$((pass + 1)) ;;
		"# not ok "*) fail=$((fail + 1)); failed+=("$fl: ${line#\# }") ;;
		esac
	done < <(grep -aE '^# (not )?ok [0-9]+ ' "$work/suite-$fl.log")
	if [ "$rc" = 0 ]; then ok "$fl: VM suite run clean (exit 0, no splat, clean rmmod)"; else notok "$fl: VM suite run" "exit $rc"; fi

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
done

echo "# $(($(date +%s) - start)) s; skipped: $skip"
if [ $fail -gt 0 ]; then
	echo "# failed:"
	printf '#   %s\n' "${failed[@]}"
fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]
