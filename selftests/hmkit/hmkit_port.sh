#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The Rust ports' own tests (port/port.rs; i386 or ARMv7): loading hmkit_port.ko
# runs them, and it logs their KTAP, which this test passes on. Expected
# failures (the by-value hazard) are "ok ... # XFAIL"; the test passes when
# the report is complete (a plan 1..N and exactly the results 1..N) and
# every result is ok.
. "$(dirname "$0")/ktap.sh"
KO=/lib/modules/hmkit_port.ko
[ "$(id -u)" = 0 ] || hmkit_skip_all "must run as root (insmod)"
[ -f $KO ] || hmkit_skip_all "$KO is missing: run inside the hmkit VM (qemu/run.sh)"
if grep -q '^hmkit_port ' /proc/modules; then
	rmmod hmkit_port || hmkit_skip_all "hmkit_port is loaded and will not unload"
fi

before=$(dmesg | wc -l)
# PORT_TESTS: the module parameter "tests", a bit mask (bit 0: test 1).
if ! err=$(insmod $KO ${PORT_TESTS:+tests=$PORT_TESTS} 2>&1); then
	ktap_print_header; ktap_set_plan 1
	hmkit_fail port_module_loads "insmod $KO: $err (dmesg: $(dmesg | tail -n 3))"
	hmkit_finished
fi
rmmod hmkit_port || hmkit_msg "rmmod hmkit_port failed"
# This load's report: the lines logged since insmod, from the module's KTAP
# header on (no header: the report is incomplete, and the check below says so).
out=$(dmesg | tail -n +$((before + 1)) | sed -n 's/^\(\[[ 0-9.]*\] \)\{0,1\}hmkit_port: //p' |
	awk '/^KTAP version 1$/ { on = 1 } on')
echo "$out"
why=$(echo "$out" | hmkit_ktap_clean)
if [ -n "$why" ]; then
	hmkit_msg "port test report not clean: $why"
	exit "$KSFT_FAIL"
fi
exit "$KSFT_PASS"
