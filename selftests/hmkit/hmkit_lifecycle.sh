#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 100 load/unload cycles with kmaps, pool mappings and vmalloc areas held
# and readers running, then nothing is left behind: free pages, slab and
# vmalloc back to their baseline.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm

CYCLES=${HMKIT_CYCLES:-100}
# What one cycle holds: 4 + 16 pages and 64 KiB of vmalloc. Counting the
# per-CPU lists, free pages come back to within about 15 after 100 cycles;
# a leak of one page per cycle (100) is above this margin.
FREE_SLACK_PAGES=64
SLAB_SLACK_KB=256

ktap_header
ktap_plan 4

D=$HMKIT_DEBUGFS
settle() { sync; echo 3 >/proc/sys/vm/drop_caches; sleep 1; }
vm_pages() { awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^pages=/) { sub("pages=", "", $i); s += $i } } END { print s + 0 }' /proc/vmallocinfo; }
# Free pages, including those parked on the per-CPU lists (zoneinfo
# "count:"), which nr_free_pages leaves out and which move by hundreds.
free_pages() {
	awk 'FILENAME ~ /vmstat/ { if ($1 == "nr_free_pages") n = $2; next } $1 == "count:" { n += $2 } END { print n }' \
		/proc/vmstat /proc/zoneinfo
}
slab_kb() { awk '$1 == "Slab:" { print $2 }' /proc/meminfo; }

# Warm-up cycles first: loading at ever new vmalloc addresses makes the
# kernel build page tables it keeps (one PTE page per 4 MiB, 2 MiB with
# PAE), and the first loads fill caches. That growth stops; a leak does not.
rmmod hmkit 2>/dev/null
for i in $(seq 1 20); do
	insmod "$HMKIT_KO" || continue
	echo alloc 4 >$D/control
	echo pool-hold 16 >$D/control
	echo vmalloc 65536 >$D/control
	rmmod hmkit
done
settle
f0=$(free_pages) s0=$(slab_kb) v0=$(vm_pages)

# Readers: keep opening every file while modules come and go.
(while :; do cat $D/* >/dev/null 2>&1; done) &
readers=$!
fails=0 busy=0
i=0
while [ $i -lt $CYCLES ]; do
	i=$((i + 1))
	insmod "$HMKIT_KO" || { fails=$((fails + 1)); continue; }
	c=$D/control
	{ echo alloc 4 >$c && echo kmap 1 >$c && echo kmap 2 >$c && echo pool-map 3 >$c &&
		echo pool-map 3 >$c && echo pool-hold 16 >$c && echo vmalloc 65536 >$c &&
		echo roundtrip 4 >$c; } || fails=$((fails + 1))
	# A reader may hold a file open (and so the module): retry.
	n=0
	until rmmod hmkit 2>/dev/null; do
		n=$((n + 1))
		busy=$((busy + 1))
		[ $n -lt 200 ] || { fails=$((fails + 1)); break; }
	done
done
kill $readers
wait $readers 2>/dev/null
if [ $fails = 0 ]; then ktap_pass "cycles_clean_$CYCLES"; else ktap_fail "cycles_clean_$CYCLES" "$fails failures ($busy rmmod retries)"; fi
ktap_info "rmmod retried $busy times while readers held files open"

settle
f1=$(free_pages) s1=$(slab_kb) v1=$(vm_pages)
ktap_info "free pages $f0 -> $f1, slab $s0 -> $s1 kB, vmalloc pages $v0 -> $v1"
if [ $((f0 - f1)) -le $FREE_SLACK_PAGES ]; then ktap_pass free_pages_back; else ktap_fail free_pages_back "lost $((f0 - f1)) pages"; fi
if [ $((s1 - s0)) -le $SLAB_SLACK_KB ]; then ktap_pass slab_back; else ktap_fail slab_back "slab grew $((s1 - s0)) kB"; fi
if [ "$v1" -le "$v0" ]; then ktap_pass vmalloc_back; else ktap_fail vmalloc_back "vmalloc pages $v0 -> $v1"; fi

hmkit_load
ktap_finish
