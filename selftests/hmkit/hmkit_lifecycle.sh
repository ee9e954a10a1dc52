#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 100 load/unload cycles with kmaps, pool mappings and vmalloc areas held
# and readers running while the module is loaded, then nothing is left
# behind: free pages, slab and vmalloc back to their baseline. The readers
# pause for each rmmod (see below), so opens racing the unload itself are
# not exercised; rmmod refused while a file is open is.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm

CYCLES=${HMKIT_CYCLES:-100}
# What one cycle holds: 4 + 16 pages and 64 KiB of vmalloc. Counting the
# per-CPU lists, free pages come back to within about 15 after 100 cycles;
# a leak of one page per cycle (100) is above this margin.
FREE_SLACK_PAGES=64
SLAB_SLACK_KB=256

ktap_print_header
ktap_set_plan 5

D=$HMKIT_DEBUGFS
settle() { sync; echo 3 >/proc/sys/vm/drop_caches; sleep 1; }
# vmalloc'd pages, less kernel stacks (CONFIG_VMAP_STACK, as on ARM:
# vmallocinfo names their caller copy_process, into which
# alloc_thread_stack_node is inlined, or that function itself), which
# follow the number of tasks (kworkers come and go: 2 to 7 more stacks,
# 2 pages each, after the cycles on ARM) and the per-CPU cache of freed
# stacks, not hmkit (which starts no task that outlives an operation).
vm_pages() {
	awk '!/ (copy_process|dup_task_struct|alloc_thread_stack_node)\+/ {
			for (i = 1; i <= NF; i++) if ($i ~ /^pages=/) { sub("pages=", "", $i); s += $i } }
		END { print s + 0 }' /proc/vmallocinfo
}
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

# Readers: keep opening every file while the module is loaded and used.
# They pause for each rmmod: an open() that lands after rmmod has begun
# (module GOING) but before the module's exit has removed the files makes
# debugfs WARN "debugfs file owner did not clean up at exit", for any
# module; with panic_on_warn that ends the run. So rmmod waits until the
# readers say they are idle (the ack file), and they wait for it to finish.
pause=/tmp/lifecycle-pause.$$ ack=/tmp/lifecycle-ack.$$
rm -f $pause $ack
(while :; do
	if [ -e $pause ]; then
		touch $ack
		sleep 0.05
		continue
	fi
	rm -f $ack
	cat $D/* >/dev/null 2>&1
done) &
readers=$!
# Stops the readers (returns once they are idle) / lets them go on.
readers_pause() {
	rm -f $ack
	touch $pause
	n=0
	while [ ! -e $ack ] && [ $n -lt 600 ]; do sleep 0.05; n=$((n + 1)); done
	[ -e $ack ]
}
readers_resume() { rm -f $pause; }
fails=0 busy=0
i=0
while [ $i -lt $CYCLES ]; do
	i=$((i + 1))
	insmod "$HMKIT_KO" || { fails=$((fails + 1)); continue; }
	c=$D/control
	{ echo alloc 4 >$c && echo kmap 1 >$c && echo kmap 2 >$c && echo pool-map 3 >$c &&
		echo pool-map 3 >$c && echo pool-hold 16 >$c && echo vmalloc 65536 >$c &&
		echo roundtrip 4 >$c; } || fails=$((fails + 1))
	readers_pause || fails=$((fails + 1))
	n=0
	until rmmod hmkit 2>/dev/null; do
		n=$((n + 1))
		busy=$((busy + 1))
		[ $n -lt 200 ] || { fails=$((fails + 1)); break; }
	done
	readers_resume
done
kill $readers
wait $readers 2>/dev/null
rm -f $pause $ack
if [ $fails = 0 ]; then ktap_test_pass "cycles_clean_$CYCLES"; else hmkit_fail "cycles_clean_$CYCLES" "$fails failures ($busy rmmod retries)"; fi
hmkit_msg "rmmod retried $busy times while readers held files open"

settle
f1=$(free_pages) s1=$(slab_kb) v1=$(vm_pages)
hmkit_msg "free pages $f0 -> $f1, slab $s0 -> $s1 kB, vmalloc pages $v0 -> $v1"
if [ $((f0 - f1)) -le $FREE_SLACK_PAGES ]; then ktap_test_pass free_pages_back; else hmkit_fail free_pages_back "lost $((f0 - f1)) pages"; fi
if [ $((s1 - s0)) -le $SLAB_SLACK_KB ]; then ktap_test_pass slab_back; else hmkit_fail slab_back "slab grew $((s1 - s0)) kB"; fi
if [ "$v1" -le "$v0" ]; then ktap_test_pass vmalloc_back; else hmkit_fail vmalloc_back "vmalloc pages $v0 -> $v1"; fi

# A file held open holds the module: rmmod is refused (EBUSY, exit status
# non-zero) and the module keeps working; once closed, rmmod succeeds.
hmkit_load
exec 3<$D/version
if rmmod hmkit 2>/dev/null; then
	exec 3<&-
	hmkit_fail rmmod_refused_while_a_file_is_open "rmmod succeeded with $D/version open"
	hmkit_load
else
	ok=1
	grep -q '^hmkit:' $D/version || ok=0
	exec 3<&-
	rmmod hmkit || ok=0
	[ $ok = 1 ] && ktap_test_pass rmmod_refused_while_a_file_is_open ||
		hmkit_fail rmmod_refused_while_a_file_is_open "module did not keep working or did not unload once closed"
	hmkit_load
fi
hmkit_finished
