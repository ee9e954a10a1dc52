# SPDX-License-Identifier: GPL-2.0
# hmkit's helpers for its shell selftests. Source it; POSIX sh (busybox) only.
#
# KTAP comes from the kernel's own helpers,
# tools/testing/selftests/kselftest/ktap_helpers.sh, which qemu/mkinitramfs.sh
# installs where the kernel's selftest install puts it: kselftest/ beside
# this directory (/selftests/kselftest/ktap_helpers.sh in the VM). From it:
#
#   ktap_print_header; ktap_set_plan N
#   ktap_test_pass NAME | ktap_test_fail NAME | ktap_test_skip NAME
#   ktap_finished       totals line; exit KSFT_PASS only when pass + skip
#                       equals the plan (so a test that reports fewer or
#                       more results than it planned fails), else KSFT_FAIL
#   KSFT_PASS KSFT_FAIL KSFT_SKIP ...
#
# On top of it, hmkit's own:
#
#   hmkit_fail NAME [WHY]   ktap_test_fail, with WHY as a diagnostic line
#   hmkit_skip NAME WHY     ktap_test_skip, with WHY as a diagnostic line
#   hmkit_check NAME CMD... pass if CMD succeeds, else fail with its output
#   hmkit_msg TEXT...       a diagnostic line (ktap_print_msg, unglobbed)
#   hmkit_finished          ktap_finished, but any failed result fails too
#   hmkit_skip_all WHY      skip the whole test: plan 1, one skipped result, exit 4
#   hmkit_require_vm, hmkit_require_highmem, hmkit_no_highmem, hmkit_load,
#   hmkit_ctl, hmkit_val, ... (below)

HMKIT_SELFTEST_DIR=$(cd "$(dirname "$0")" && pwd)

for _h in "$HMKIT_SELFTEST_DIR/../kselftest/ktap_helpers.sh" /selftests/kselftest/ktap_helpers.sh; do
	[ -f "$_h" ] && break
done
if [ ! -f "$_h" ]; then
	echo "Bail out! the kernel's kselftest/ktap_helpers.sh is neither in $HMKIT_SELFTEST_DIR/../kselftest nor in /selftests/kselftest (qemu/mkinitramfs.sh installs it)"
	exit 1
fi
HMKIT_KTAP_HELPERS=$_h
. "$HMKIT_KTAP_HELPERS"

# ktap_print_msg echoes its words unquoted: keep a reason's [..] and * from
# being expanded as file names (the words are still joined by one space,
# which keeps a multi-line reason on one "#" line).
hmkit_msg() {
	set -f
	ktap_print_msg "$@"
	set +f
}
hmkit_fail() {
	[ -z "${2:-}" ] || hmkit_msg "$1: $2"
	ktap_test_fail "$1"
}
hmkit_skip() {
	hmkit_msg "$1: SKIP: $2"
	ktap_test_skip "$1"
}
hmkit_check() {
	_name=$1
	shift
	if _out=$("$@" 2>&1); then
		ktap_test_pass "$_name"
	else
		hmkit_fail "$_name" "$(echo "$_out" | tail -n 3)"
	fi
}
# ktap_finished only compares pass + skip with the plan: a test that planned
# one result too few passes when one of its results failed. Any failure
# fails; then ktap_finished checks the count (pass + skip = results).
hmkit_finished() {
	case "${KTAP_CNT_FAIL:-x}" in
	*[!0-9]*)
		echo "Bail out! ktap_helpers.sh has no KTAP_CNT_FAIL counter any more: update ktap.sh"
		exit "$KSFT_FAIL"
		;;
	0) ;;
	*)
		ktap_print_totals
		exit "$KSFT_FAIL"
		;;
	esac
	ktap_finished
}
# Skip the whole test as one skipped result (so that runners counting the
# nested results see the skip), and exit KSFT_SKIP.
hmkit_skip_all() {
	ktap_print_header
	ktap_set_plan 1
	hmkit_skip "${0##*/}" "$1"
	ktap_print_totals
	exit "$KSFT_SKIP"
}

HMKIT_DEBUGFS=/sys/kernel/debug/hmkit
HMKIT_KO=${HMKIT_KO:-/lib/modules/hmkit.ko}

# Kernel log lines that fail a run: the ERE alternatives in bad-log-patterns
# beside this file, which qemu/run.sh uses for the console too.
HMKIT_BAD_RE=$(awk '!/^#/ && NF { printf "%s%s", s, $0; s = "|" }' "$HMKIT_SELFTEST_DIR/bad-log-patterns" 2>/dev/null)
if [ -z "$HMKIT_BAD_RE" ]; then
	echo "Bail out! no patterns in $HMKIT_SELFTEST_DIR/bad-log-patterns"
	exit 1
fi

# Mark the kernel log, to look at what comes after the mark later.
hmkit_log_mark() {
	_hmkit_mark="hmkit-selftest-mark $$ $(date +%s) ${1:-}"
	echo "$_hmkit_mark" >/dev/kmsg
}
# The kernel log lines since the last hmkit_log_mark that match HMKIT_BAD_RE.
hmkit_log_bad() {
	dmesg | awk -v m="$_hmkit_mark" 'index($0, m) { n = NR } { l[NR] = $0 } END { for (i = n + 1; i <= NR; i++) print l[i] }' |
		grep -E "$HMKIT_BAD_RE"
}

# Exit 4 unless this is a machine where hmkit's tests can run.
hmkit_require_vm() {
	[ "$(id -u)" = 0 ] || hmkit_skip_all "must run as root (hmkit's debugfs files are root-only)"
	[ -d /sys/kernel/debug ] && [ -n "$(ls /sys/kernel/debug 2>/dev/null)" ] ||
		hmkit_skip_all "debugfs is not mounted: mount -t debugfs none /sys/kernel/debug"
	[ -d $HMKIT_DEBUGFS ] || [ -f "$HMKIT_KO" ] ||
		hmkit_skip_all "hmkit.ko is neither loaded nor at $HMKIT_KO: run inside the hmkit VM (qemu/run.sh)"
	grep -q '^HighTotal:' /proc/meminfo ||
		hmkit_skip_all "not a CONFIG_HIGHMEM kernel (no HighTotal in /proc/meminfo)"
}

# Highmem may be absent from a CONFIG_HIGHMEM kernel: with less RAM than
# the direct map can hold (or a split that maps all of it), HighTotal is 0
# and every page is lowmem. Tests about highmem pages say so and skip.
HMKIT_NO_HIGHMEM="this machine has no highmem (HighTotal: 0 kB): all its RAM is direct-mapped lowmem"
hmkit_no_highmem() { [ "$(awk '$1 == "HighTotal:" { print $2 }' /proc/meminfo)" = 0 ]; }
# Skip the whole test (exit 4) when there is no highmem, saying what it needed.
hmkit_require_highmem() { ! hmkit_no_highmem || hmkit_skip_all "$HMKIT_NO_HIGHMEM; $1"; }

# Load hmkit.ko unless it is loaded.
hmkit_load() { [ -d /sys/module/hmkit ] || insmod "$HMKIT_KO"; }

# Write one command to hmkit's control file; the exit status says whether
# the module took it, and a refusal's message (errno) goes to stderr.
hmkit_ctl() { printf '%s\n' "$*" >$HMKIT_DEBUGFS/control; }
# The highest object handle now listed (the one made last).
hmkit_last_id() { awk '$1 == "page" || $1 == "vmalloc" { if ($2 > m) m = $2 } END { print m + 0 }' $HMKIT_DEBUGFS/control; }
# Field FIELD (key=value) of object ID of kind KIND in the control listing.
hmkit_obj() {
	awk -v k="$1" -v id="$2" -v f="$3" '$1 == k && $2 == id {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) { print kv[2]; exit } } }' $HMKIT_DEBUGFS/control
}
# A key: value line of a debugfs file.
hmkit_val() { awk -v k="$2:" '$1 == k { print $2; exit }' "$HMKIT_DEBUGFS/$1"; }
# A 0x... or decimal number as decimal (busybox printf understands both).
dec() { printf '%d' "$1"; }
# An awk function turning "0x..." into a number (busybox awk has no strtonum).
HMKIT_AWK_HEX='function hex(s,  i, v) { s = tolower(s); sub(/^0x/, "", s); v = 0
	for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v }'

# hmkit_interrupt_write FILE COMMAND SIGNAL BOUND: write COMMAND to FILE in
# one write() from a background shell, wait until that write has been under
# way for 2 s, send SIGNAL and give the writer BOUND seconds to come back. The writer traps SIGNAL, so it survives it and reports how
# its write ended (the shell's printf does not retry a write that failed
# with EINTR; its echo would). SIGINT cannot be used: a non-interactive sh
# starts background commands with SIGINT ignored, and they cannot undo that.
# Prints "STATE SECONDS":
#   interrupted  the write failed after the signal, which the writer got
#   completed    the write succeeded although the signal came
#   failed-...   the write failed, but the writer never got the signal
#   early        the write had ended (status in SECONDS) before the signal
#   stuck        still writing after the bound (killed, which takes effect
#                only when the write returns)
hmkit_interrupt_write() {
	_d=/tmp/hmkit-signal.$$
	rm -rf $_d
	mkdir -p $_d
	# In the writer: $1 the directory for its reports, $2 COMMAND, $3 FILE.
	sh -c 'trap "echo trapped >$1/trapped" '"$3"'; : >$1/ready; printf "%s\n" "$2" >"$3"; echo $? >$1/rc' \
		sh "$_d" "$2" "$1" >/dev/null 2>&1 &
	_pid=$!
	_i=0
	while [ ! -e $_d/ready ] && [ $_i -lt 300 ]; do sleep 0.1; _i=$((_i + 1)); done
	sleep 2
	if [ -e $_d/rc ]; then
		echo "early $(cat $_d/rc)"
		wait $_pid
		rm -rf $_d
		return
	fi
	_t0=$(awk '{ print $1 }' /proc/uptime)
	kill -"$3" $_pid
	# Seconds since the signal.
	_since() { awk -v t0="$_t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime; }
	while [ ! -e $_d/rc ] && kill -0 $_pid 2>/dev/null && awk -v t="$(_since)" -v b="$4" 'BEGIN { exit !(t < b) }'; do
		sleep 0.1
	done
	_t=$(_since)
	if [ ! -e $_d/rc ] && kill -0 $_pid 2>/dev/null; then
		# Do not wait for it: it may be in the kernel for a long time.
		kill -KILL $_pid
		echo "stuck $_t"
		return
	fi
	wait $_pid 2>/dev/null
	_rc=$(cat $_d/rc 2>/dev/null)
	if [ "$_rc" = 0 ]; then
		echo "completed $_t"
	elif [ -e $_d/trapped ]; then
		echo "interrupted $_t"
	else
		echo "failed-without-signal(status:${_rc:-none}) $_t"
	fi
	rm -rf $_d
}

# Whether KTAP text on stdin is complete and clean: a "TAP version" line,
# a plan 1..N with N >= 1, exactly the results 1..N in order, each "ok"
# (a "# SKIP" counts as ok). Prints what is wrong, if anything, with the
# diagnostic line just before a failed result.
hmkit_ktap_clean() {
	awk '
		/^K?TAP version / { hdr++; next }
		/^1\.\.[0-9]+/ { plans++; plan = substr($1, 4) + 0; next }
		/^(not )?ok [0-9]+( |$)/ {
			n++
			num = ($1 == "not") ? $3 : $2
			if (num != n) print "result " n " is numbered " num
			if ($1 == "not") print "failed: " $0 (why != "" ? " (" why ")" : "")
			why = ""
			next
		}
		/^# / { why = substr($0, 3) }
		END {
			if (hdr != 1) print hdr + 0 " \"TAP version\" lines"
			if (plans != 1) print plans + 0 " plan lines"
			else if (plan < 1) print "empty plan 1.." plan
			else if (n != plan) print "plan 1.." plan " but " n + 0 " results"
		}'
}
