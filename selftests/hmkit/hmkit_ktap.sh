#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The KTAP helpers every test here stands on (ktap.sh over the kernel's
# kselftest/ktap_helpers.sh), under this machine's sh: a test fails when it
# reports fewer or more results than it planned or when any result fails,
# passes when it reports its plan, and skips with exit 4; the bad kernel
# log patterns catch a kernel splat and let a normal line through.
. "$(dirname "$0")/ktap.sh"

ktap_print_header
ktap_set_plan 6

# run BODY: the exit status of a test made of BODY (as if it were a file
# beside this one, so that it finds ktap.sh), its output discarded.
run() { sh -c ". \"\$(dirname \"\$0\")/ktap.sh\"; ktap_print_header; $1" "$HMKIT_SELFTEST_DIR/ktap-probe.sh" >/dev/null 2>&1; echo $?; }

# The helpers come from the kernel's file, not from a copy in ktap.sh.
if [ "${HMKIT_KTAP_HELPERS##*/kselftest/}" = ktap_helpers.sh ] && grep -q '^ktap_finished()' "$HMKIT_KTAP_HELPERS" &&
	! grep -q '^ktap_finished()' "$HMKIT_SELFTEST_DIR/ktap.sh" && [ "$KSFT_SKIP" = 4 ]; then
	ktap_test_pass uses_kernel_ktap_helpers
else
	hmkit_fail uses_kernel_ktap_helpers "helpers from '$HMKIT_KTAP_HELPERS'"
fi

r=$(run 'ktap_set_plan 3; ktap_test_pass a; ktap_test_pass b; hmkit_finished')
if [ "$r" = "$KSFT_FAIL" ]; then ktap_test_pass fewer_results_than_plan_fail; else hmkit_fail fewer_results_than_plan_fail "exit $r"; fi

r=$(run 'ktap_set_plan 1; ktap_test_pass a; ktap_test_pass b; hmkit_finished')
if [ "$r" = "$KSFT_FAIL" ]; then ktap_test_pass more_results_than_plan_fail; else hmkit_fail more_results_than_plan_fail "exit $r"; fi

# A failed result fails the test even when the plan is one short of the
# results (pass + skip then equals the plan).
r1=$(run 'ktap_set_plan 2; ktap_test_pass a; hmkit_fail b why; hmkit_finished')
r2=$(run 'ktap_set_plan 2; ktap_test_pass a; hmkit_fail b why; ktap_test_skip c; hmkit_finished')
r3=$(run 'ktap_set_plan 2; hmkit_check a true; hmkit_check b false; hmkit_finished')
if [ "$r1 $r2 $r3" = "$KSFT_FAIL $KSFT_FAIL $KSFT_FAIL" ]; then ktap_test_pass failed_result_fails; else hmkit_fail failed_result_fails "exits $r1 $r2 $r3"; fi

r1=$(run 'ktap_set_plan 3; ktap_test_pass a; hmkit_skip b why; hmkit_check c true; hmkit_finished')
r2=$(run 'hmkit_skip_all why')
if [ "$r1 $r2" = "$KSFT_PASS $KSFT_SKIP" ]; then ktap_test_pass planned_results_pass_skip_all_skips; else hmkit_fail planned_results_pass_skip_all_skips "exits $r1 $r2"; fi

bad=""
for l in '[   12.345678] WARNING: CPU: 1 PID: 77 at mm/highmem.c:100 kunmap_high+0x1/0x2' \
	'[    3.000001] BUG: sleeping function called from invalid context at mm/slub.c:1' \
	'[    4.5] WARNING: possible circular locking dependency detected' \
	'[  100.0] INFO: task sh:99 blocked for more than 30 seconds.'; do
	echo "$l" | grep -qE "$HMKIT_BAD_RE" || bad="$bad [missed: $l]"
done
for l in '[   12.277119] hmkit: loading out-of-tree module taints kernel.' \
	'[   15.566663] reboot: Power down'; do
	echo "$l" | grep -qE "$HMKIT_BAD_RE" && bad="$bad [matched: $l]"
done
if [ -z "$bad" ]; then ktap_test_pass bad_log_patterns; else hmkit_fail bad_log_patterns "$bad"; fi

hmkit_finished
