#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run hmkit's selftests as kselftest's runner does: KTAP, each test's own
# output nested behind "# ", one result line per test.
#
#   run_tests.sh [TEST...]      default: every hmkit_*.sh beside this file,
#                               the kmemleak check last
cd "$(dirname "$0")" || exit 1
[ $# -gt 0 ] || set -- $(ls hmkit_*.sh | grep -vx hmkit_kmemleak.sh) hmkit_kmemleak.sh
timeout=$(sed -n 's/^timeout=//p' settings 2>/dev/null)
# The processes of session $1 (field 6 of /proc/PID/stat, counted after
# the command name's closing parenthesis as the 4th).
session_pids() {
	cat /proc/[0-9]*/stat 2>/dev/null |
		awk -v s="$1" '{ l = $0; sub(/.*\) /, "", l); split(l, f, " "); if (f[4] == s) print $1 }'
}
# Ends what is left of session $1: SIGTERM, up to 20 s to finish (hmctl
# stops its tools, unmounts and resets zram on SIGTERM), then SIGKILL.
# The session, not the process group: hmctl runs each tool in a group of
# its own.
end_session() {
	left=$(session_pids "$1")
	[ -n "$left" ] || return 0
	kill -TERM $left 2>/dev/null
	i=0
	while [ $i -lt 20 ] && [ -n "$(session_pids "$1")" ]; do
		sleep 1
		i=$((i + 1))
	done
	left=$(session_pids "$1")
	[ -z "$left" ] || kill -KILL $left 2>/dev/null
}
pid= watchdog=
# The runner stopped: the test's session and its watchdog end too.
stopped() {
	[ -z "$watchdog" ] || kill -TERM -$watchdog 2>/dev/null
	[ -z "$pid" ] || end_session $pid
	exit $1
}
trap 'stopped 130' INT
trap 'stopped 143' TERM
echo "TAP version 13"
echo "1..$#"
n=0 rc=0
for t in "$@"; do
	n=$((n + 1))
	echo "# selftests: hmkit: $t"
	out=/tmp/ksft-$$.out
	# settings: timeout=S for every test, timeout.TEST=S for one.
	t_timeout=$(sed -n "s/^timeout\.$t=//p" settings 2>/dev/null)
	t_timeout=${t_timeout:-${timeout:-300}}
	# Each test leads a session of its own (setsid: the runner's
	# background child is no group leader, so setsid does not fork and
	# $! is the session), so that a timeout ends what it started too (a
	# fio or stress-ng it was waiting for would run on into the next
	# test), and nothing it left behind outlives it.
	# At the timeout the watchdog signals the test's shell only: the
	# rest of the session gets its one SIGTERM from end_session (a second
	# would kill hmctl in its cleanup). The watchdog is a session too, so
	# that its sleep ends with it.
	setsid sh "./$t" >"$out" 2>&1 &
	pid=$!
	setsid sh -c 'sleep "$1" && kill -TERM "$2" 2>/dev/null' sh "$t_timeout" "$pid" &
	watchdog=$!
	wait $pid
	r=$?
	kill -TERM -$watchdog 2>/dev/null
	watchdog=
	end_session $pid
	pid=
	sed 's/^/# /' "$out"
	rm -f "$out"
	case $r in
	0) echo "ok $n selftests: hmkit: $t" ;;
	4) echo "ok $n selftests: hmkit: $t # SKIP" ;;
	143) echo "not ok $n selftests: hmkit: $t # TIMEOUT $t_timeout seconds"; rc=1 ;;
	*) echo "not ok $n selftests: hmkit: $t # exit=$r"; rc=1 ;;
	esac
done
exit $rc
