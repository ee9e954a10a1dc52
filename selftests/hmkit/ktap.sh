# SPDX-License-Identifier: GPL-2.0
# KTAP output for hmkit's shell selftests, in the format of the kernel's
# tools/testing/selftests/kselftest.h. Source it; POSIX sh (busybox) only.
#
#   ktap_header; ktap_plan N
#   ktap_pass NAME | ktap_fail NAME [WHY] | ktap_skip NAME WHY
#   ktap_check NAME CMD...      pass if CMD succeeds, else fail
#   ktap_finish                 totals line, exit 0 (pass), 1 (fail), 4 (all skipped)

KTAP_N=0 KTAP_PASS=0 KTAP_FAIL=0 KTAP_SKIP=0
KSFT_PASS=0 KSFT_FAIL=1 KSFT_SKIP=4

ktap_header() { echo "TAP version 13"; }
ktap_plan() { echo "1..$1"; }
ktap_info() { echo "# $*"; }
ktap_pass() { KTAP_N=$((KTAP_N + 1)) KTAP_PASS=$((KTAP_PASS + 1)); echo "ok $KTAP_N $1"; }
ktap_fail() {
	KTAP_N=$((KTAP_N + 1)) KTAP_FAIL=$((KTAP_FAIL + 1))
	[ -z "${2:-}" ] || echo "# $1: $2"
	echo "not ok $KTAP_N $1"
}
ktap_skip() { KTAP_N=$((KTAP_N + 1)) KTAP_SKIP=$((KTAP_SKIP + 1)); echo "ok $KTAP_N $1 # SKIP $2"; }
ktap_check() {
	_name=$1
	shift
	if _out=$("$@" 2>&1); then
		ktap_pass "$_name"
	else
		ktap_fail "$_name" "$(echo "$_out" | tail -n 3 | tr '\n' ' ')"
	fi
}
ktap_finish() {
	echo "# Totals: pass:$KTAP_PASS fail:$KTAP_FAIL xfail:0 xpass:0 skip:$KTAP_SKIP error:0"
	[ $KTAP_FAIL = 0 ] || exit $KSFT_FAIL
	[ $KTAP_PASS != 0 ] || [ $KTAP_SKIP = 0 ] || exit $KSFT_SKIP
	exit $KSFT_PASS
}
# Skip the whole test: plan 1, one skipped result, exit 4.
ktap_skip_all() { ktap_header; ktap_plan 1; ktap_skip "${0##*/}" "$1"; ktap_finish; }

HMKIT_DEBUGFS=/sys/kernel/debug/hmkit
HMKIT_KO=${HMKIT_KO:-/lib/modules/hmkit.ko}

# Kernel log lines that fail a run (as qemu/run.sh scans the console).
HMKIT_BAD_RE='WARNING:|BUG:|Oops|kernel BUG|general protection fault|Call Trace:|possible (recursive|circular) locking|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|blocked for more than|soft lockup|UBSAN:|sleeping function called from invalid context|list_(add|del) corruption'

# Exit 4 unless this is a machine where hmkit's tests can run.
hmkit_require_vm() {
	[ "$(id -u)" = 0 ] || ktap_skip_all "must run as root (hmkit's debugfs files are root-only)"
	[ -d /sys/kernel/debug ] && [ -n "$(ls /sys/kernel/debug 2>/dev/null)" ] ||
		ktap_skip_all "debugfs is not mounted: mount -t debugfs none /sys/kernel/debug"
	[ -d $HMKIT_DEBUGFS ] || [ -f "$HMKIT_KO" ] ||
		ktap_skip_all "hmkit.ko is neither loaded nor at $HMKIT_KO: run inside the hmkit VM (qemu/run.sh)"
	grep -q '^HighTotal:' /proc/meminfo ||
		ktap_skip_all "not a CONFIG_HIGHMEM kernel (no HighTotal in /proc/meminfo)"
}

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
