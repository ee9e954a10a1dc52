#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hmkit's in-kernel self-test (the selftest file): PTE states, what every
# CPU sees, flush coverage. Its KTAP is this test's output.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
hmkit_load

S=$HMKIT_DEBUGFS/selftest
if ! echo run >$S; then
	ktap_header; ktap_plan 1; ktap_fail selftest_runs "writing 'run' to $S failed"; ktap_finish
fi
out=$(cat $S)
echo "$out"
echo "$out" | grep -q '^ok 1 ' || exit $KSFT_FAIL
echo "$out" | grep -q '^not ok' && exit $KSFT_FAIL
exit $KSFT_PASS
