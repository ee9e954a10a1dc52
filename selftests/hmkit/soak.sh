#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every mechanism at once, on every CPU, for SECONDS (default 10): pool
# stress threads (verified through kmap_local), kmap/kmap_local/kmap_atomic
# round trips, kmap() holds with pkmap flushes, vmalloc areas, the in-kernel
# self-test and readers of every file. KTAP: one result per workload.
#
#   soak.sh [SECONDS]          `make soak` runs it for longer
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
hmkit_load

secs=${1:-10}
case "$secs" in *[!0-9]* | '') echo "usage: soak.sh [SECONDS]" >&2; exit 2 ;; esac
D=$HMKIT_DEBUGFS
C=$D/control
end=$(($(date +%s) + secs))
dir=/tmp/soak.$$
mkdir -p $dir
cpus=$(grep -c '^processor' /proc/cpuinfo)

ktap_print_header
ktap_set_plan 6
hmkit_msg "soaking for ${secs}s on $cpus CPUs"

# loop NAME COMMANDS: repeat COMMANDS until the end, counting failures.
loop() {
	name=$1 cmds=$2
	n=0 bad=0
	while [ "$(date +%s)" -lt $end ]; do
		sh -c "$cmds" >/dev/null 2>&1 || bad=$((bad + 1))
		n=$((n + 1))
	done
	echo "$n $bad" >$dir/$name
}

# Twice as many pages as the pool has slots: misses, flushes and waits.
pages=$((2 * $(awk '$1 == "slots:" { print $2 }' $D/pool)))
hmkit_msg "pool stress on $pages pages, $cpus threads"
hmctl stress --threads "$cpus" --seconds "$secs" --pages "$pages" --json >$dir/stress.json 2>$dir/stress.err &
loop roundtrip "echo alloc 2 >$C; id=\$(awk '\$1 == \"page\" { i = \$2 } END { print i }' $C); a=\$((id - 1));
	echo roundtrip \$a >$C && echo kmap \$a >$C && echo kmap \$id >$C && echo roundtrip \$id >$C &&
	echo kunmap \$a >$C && echo kunmap \$id >$C && echo roundtrip \$a >$C && echo free \$a >$C && echo free \$id >$C" &
# Without highmem nothing goes through the pkmap (pkmap-flush refuses).
if hmkit_no_highmem; then echo "0 0" >$dir/pkmap; else loop pkmap "echo pkmap-flush >$C" & fi
loop vmalloc "echo vmalloc 262144 >$C; id=\$(awk '\$1 == \"vmalloc\" { i = \$2 } END { print i }' $C); echo free \$id >$C" &
loop selftest "echo run >$D/selftest && ! grep -q '^not ok' $D/selftest" &
loop readers "cat $D/* >/dev/null" &
wait

for w in roundtrip pkmap vmalloc selftest readers; do
	set -- $(cat $dir/$w)
	if [ $w = pkmap ] && hmkit_no_highmem; then
		hmkit_skip soak_pkmap "$HMKIT_NO_HIGHMEM"
		continue
	fi
	if [ "${1:-0}" -gt 0 ] && [ "$2" = 0 ]; then ktap_test_pass "soak_$w"; else hmkit_fail "soak_$w" "${2:-?} of ${1:-0} rounds failed"; fi
	hmkit_msg "$w: $1 rounds"
done
out=$(cat $dir/stress.json)
ops=$(echo "$out" | awk -F'[:,]' '/"ops"/ { print $2 + 0 }')
if [ "${ops:-0}" -gt 0 ] && echo "$out" | grep -q '"mismatches": 0' && echo "$out" | grep -q '"errors": 0'; then
	ktap_test_pass soak_pool_stress
else
	hmkit_fail soak_pool_stress "$out $(cat $dir/stress.err)"
fi
hmkit_msg "pool stress: $(echo "$out" | tr -d '\n ')"
# For `make soak`, which adds up the verified operations of every kernel.
[ ! -w /out ] || cp $dir/stress.json /out/soak-stress.json
rm -rf $dir
hmkit_finished
