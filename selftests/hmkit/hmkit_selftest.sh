#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hmkit's in-kernel self-test (the selftest file): PTE states, what every
# CPU sees, flush coverage. Its KTAP is this test's output. The number of
# checks is the module's business: the test passes when the report is
# complete (a plan 1..N and exactly the results 1..N) and every result is ok.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
hmkit_load

S=$HMKIT_DEBUGFS/selftest
if ! echo run >$S; then
	ktap_print_header; ktap_set_plan 1; hmkit_fail selftest_runs "writing 'run' to $S failed"; hmkit_finished
fi
out=$(cat $S)
echo "$out"
why=$(echo "$out" | hmkit_ktap_clean)
if [ -n "$why" ]; then
	hmkit_msg "selftest report not clean: $why"
	exit "$KSFT_FAIL"
fi
exit "$KSFT_PASS"
