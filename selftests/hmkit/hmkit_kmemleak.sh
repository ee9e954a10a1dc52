#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run last: kmemleak finds nothing leaked since boot (the VM's init clears
# what boot itself left). kmemleak only reports objects older than 5 s.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm

K=/sys/kernel/debug/kmemleak
[ -w $K ] || hmkit_skip_all "no $K: needs CONFIG_DEBUG_KMEMLEAK"
ktap_print_header
ktap_set_plan 1
sleep 6
echo scan >$K
echo scan >$K
leaks=$(cat $K)
if [ -z "$leaks" ]; then ktap_test_pass kmemleak_clean; else hmkit_fail kmemleak_clean "$(echo "$leaks" | head -40)"; fi
hmkit_finished
