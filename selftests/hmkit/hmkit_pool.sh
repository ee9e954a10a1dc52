#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hmkit's own mapping pool: data, counts, lazy unmap and flushes, a full
# pool (wait, timeout, try), stress from all CPUs, a stress write stopped
# by a signal, load parameters and unloading with mappings held.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm

ktap_print_header
ktap_set_plan 25

D=$HMKIT_DEBUGFS
C=$D/control
P=/sys/module/hmkit/parameters
stat_of() { hmkit_val stats "$1"; }
pool_of() { hmkit_val pool "$1"; }
# Rows of the pool file for pfn $1.
pool_rows() { awk -v p="$1" 'f && $3 == p { print } $1 == "slot" { f = 1 }' $D/pool; }
# One command through hmctl: prints ok or the errno's name.
ctl() { printf '%s\n' "$*" | hmctl write control 2>/dev/null; }
reload() { rmmod hmkit 2>/dev/null; insmod "$HMKIT_KO" "$@"; }

reload
hmkit_ctl alloc 2
id=$(( $(hmkit_last_id) - 1 ))
pfn=$(hmkit_obj page $id pfn)

hmkit_check pool_data_equals_kmap_local hmkit_ctl pool-check $((id + 1))

h0=$(stat_of hits)
hmkit_ctl pool-map $id && hmkit_ctl pool-map $id
rows=$(pool_rows "$pfn")
if [ "$(echo "$rows" | grep -c .)" = 1 ] && [ "$(echo "$rows" | awk '{ print $4 }')" = 2 ] &&
	[ "$(hmkit_obj page $id pool_maps)" = 2 ] && [ $(($(stat_of hits) - h0)) = 1 ]; then
	ktap_test_pass same_page_same_slot_counted
else
	hmkit_fail same_page_same_slot_counted "rows '$rows', hits +$(($(stat_of hits) - h0))"
fi

# Unmap is lazy: the slot keeps its PTE, with 0 users, until a flush.
hmkit_ctl pool-unmap $id && hmkit_ctl pool-unmap $id
rows=$(pool_rows "$pfn")
set1=$(pool_of ptes_set)
if [ "$(echo "$rows" | awk '{ print $4 }')" = 0 ] && [ "$(pool_of needs_flush)" -ge 1 ]; then ktap_test_pass unmap_is_lazy; else hmkit_fail unmap_is_lazy "rows '$rows'"; fi
f0=$(stat_of flushes)
hmkit_ctl pool-flush
if [ -z "$(pool_rows "$pfn")" ] && [ "$(pool_of ptes_set)" -lt "$set1" ] && [ "$(pool_of needs_flush)" = 0 ] &&
	[ $(($(stat_of flushes) - f0)) = 1 ]; then
	ktap_test_pass flush_clears_pte
else
	hmkit_fail flush_clears_pte "rows '$(pool_rows "$pfn")', ptes_set $set1 -> $(pool_of ptes_set)"
fi
# With a mapping held and one idle: the PTEs set in the window (read from
# the page table) are exactly the slots listed as mapping a page.
hmkit_ctl alloc 1
id2=$(hmkit_last_id)
hmkit_ctl pool-map $id
hmkit_ctl pool-map $id2 && hmkit_ctl pool-unmap $id2
ptes=$(pool_of ptes_set)
mapped=$(awk 'f { n++ } $1 == "slot" { f = 1 } END { print n + 0 }' $D/pool)
if [ "$ptes" = "$mapped" ] && [ "$mapped" -ge 2 ]; then ktap_test_pass ptes_match_slots; else hmkit_fail ptes_match_slots "ptes_set $ptes, mapped rows $mapped"; fi
hmkit_ctl pool-unmap $id
hmkit_ctl pool-flush

# A small pool, to fill it.
reload slots=64
echo 300 >$P/wait_ms
hmkit_ctl alloc 2
x=$(( $(hmkit_last_id) - 1 ))
y=$((x + 1))
r=$(ctl pool-hold 64)
held_first=$(awk '$1 == "page" && $0 ~ /pool_maps=1/ { print $2; exit }' $C)
if [ "$r" = ok ] && [ "$(pool_of in_use)" = 64 ] && [ "$(pool_of free)" = 0 ]; then ktap_test_pass pool_fills; else hmkit_fail pool_fills "$r; $(head -6 $D/pool | tr '\n' ' ')"; fi

w0=$(stat_of waits)
r=$(ctl pool-trymap $x)
if [ "$r" = EAGAIN ] && [ "$(stat_of waits)" = "$w0" ]; then ktap_test_pass trymap_fails_at_once; else hmkit_fail trymap_fails_at_once "$r, waits $w0 -> $(stat_of waits)"; fi

t0=$(stat_of timeouts)
r=$(ctl pool-map $x)
if [ "$r" = ETIMEDOUT ] && [ $(($(stat_of timeouts) - t0)) = 1 ] && [ "$(stat_of waits)" -gt "$w0" ]; then ktap_test_pass blocking_map_times_out; else hmkit_fail blocking_map_times_out "$r"; fi

# Another holder releases while we wait: the wait ends with a slot.
echo 10000 >$P/wait_ms
w1=$(stat_of waits)
(sleep 1; hmkit_ctl pool-unmap "$held_first") &
r=$(ctl pool-map $x)
wait
if [ "$r" = ok ] && [ "$(stat_of waits)" -gt "$w1" ] && [ "$(hmkit_obj page $x pool_maps)" = 1 ]; then ktap_test_pass blocking_map_waits_then_succeeds; else hmkit_fail blocking_map_waits_then_succeeds "$r"; fi

# A holder of one mapping (x) asking for a second page on a full pool: where
# kmap() would sleep uninterruptibly for ever, this times out, and the
# holder's own mapping is untouched.
echo 300 >$P/wait_ms
r=$(ctl pool-map $y)
if [ "$r" = ETIMEDOUT ] && [ "$(hmkit_obj page $x pool_maps)" = 1 ] && [ "$(hmkit_obj page $y pool_maps)" = 0 ] &&
	[ "$(pool_of in_use)" = 64 ]; then
	ktap_test_pass holder_waiting_for_second_times_out
else
	hmkit_fail holder_waiting_for_second_times_out "$r, x maps $(hmkit_obj page $x pool_maps), y maps $(hmkit_obj page $y pool_maps)"
fi

# A task waiting for a slot, as /proc/PID/stack unwinds it: hmkit's Rust
# frames (v0-mangled _R... symbols), and below them the write(2) that
# asked. It times out as above, leaving the pool as it was. ARM with
# CONFIG_SMP saves no stack of another task (arch/arm/kernel/stacktrace.c:
# it could be running); on x86-32 the frame-pointer unwinder shows no frame
# of stacks in the first 128 MiB when PAGE_OFFSET is below 0x80000000
# (hmkit_layout's layout_kernel_stacks_unwind), as init's empty stack tells.
case "$(uname -m)" in
arm*) why="ARM with CONFIG_SMP keeps no stack trace of another task" ;;
*) why= ;;
esac
[ -n "$why" ] || [ "$(grep -c . /proc/1/stack 2>/dev/null)" != 0 ] ||
	why="the kernel's unwinder shows no frame of init's stack (/proc/1/stack): PAGE_OFFSET below 0x80000000 with the frame-pointer unwinder"
if [ -n "$why" ]; then
	hmkit_skip waiter_stack_unwinds_through_hmkit "$why"
else
	echo 3000 >$P/wait_ms
	w0=$(stat_of waits)
	hmkit_ctl pool-map $y 2>/dev/null &
	waiter=$!
	# Until it waits (a slow guest takes a while to get there).
	i=0
	while [ "$(stat_of waits)" = "$w0" ] && [ $i -lt 20 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	st=$(cat /proc/$waiter/stack 2>&1)
	wait $waiter
	echo 300 >$P/wait_ms
	if echo "$st" | grep -q '_R.*\[hmkit\]' && echo "$st" | grep -Eq '(ksys|vfs)_write' && [ "$(hmkit_obj page $y pool_maps)" = 0 ]; then
		ktap_test_pass waiter_stack_unwinds_through_hmkit
	else
		hmkit_fail waiter_stack_unwinds_through_hmkit "$(echo "$st" | tr '\n' ' ')"
	fi
fi
hmkit_ctl pool-unmap $x

# Batching: with every slot idle, the next miss flushes all of them at once,
# and the misses after it need no flush until the free slots run out.
hmkit_ctl pool-release
hmkit_ctl pool-flush
r=$(ctl pool-hold 64)
hmkit_ctl pool-release
f0=$(stat_of flushes)
s0=$(stat_of slots_flushed)
idle=$(pool_of needs_flush)
hmkit_ctl pool-trymap $x
f1=$(stat_of flushes)
s1=$(stat_of slots_flushed)
r2=$(ctl pool-hold 63)
f2=$(stat_of flushes)
if [ "$r" = ok ] && [ "$idle" = 64 ] && [ $((f1 - f0)) = 1 ] && [ $((s1 - s0)) = 64 ] && [ "$r2" = ok ] && [ "$f2" = "$f1" ]; then
	ktap_test_pass flush_batches_all_idle_slots
else
	hmkit_fail flush_batches_all_idle_slots "idle $idle, flushes +$((f1 - f0)) then +$((f2 - f1)), slots +$((s1 - s0)), holds $r $r2"
fi

# Unloading with mappings held: documented to release them, clear the
# window and free it. The window is a vmap() area, which /proc/vmallocinfo
# lists as "0xSTART-0xEND SIZE caller ..." (END includes the guard page,
# SIZE is END - START; a plain vmap() shows no "pages="): it must be there
# while hmkit is loaded and gone after rmmod. vfree()/vunmap() are lazy: a
# freed range may stay listed as "unpurged vm_area", which is not an area.
# /proc/vmallocinfo shows addresses with %pK: real ones for root with
# kptr_restrict=1.
ws=$(hmkit_val layout hmkit_pool_start)
we=$(hmkit_val layout hmkit_pool_end)
held=$(pool_of in_use)
window_areas() {
	awk -v s="$(dec "$ws")" -v e="$(dec "$we")" "$HMKIT_AWK_HEX"'
		{ split($1, r, "-"); a = hex(r[1]); b = hex(r[2]) }
		$3 != "unpurged" && a == s && b >= e && b <= e + 4096 && $2 == b - a' /proc/vmallocinfo
}
kptr=$(cat /proc/sys/kernel/kptr_restrict)
echo 1 >/proc/sys/kernel/kptr_restrict
loaded=$(window_areas)
rmmod hmkit
r=$?
after=$(window_areas)
echo "$kptr" >/proc/sys/kernel/kptr_restrict
if [ "${held:-0}" -gt 0 ] && [ "$(echo "$loaded" | grep -c .)" = 1 ] && [ $r = 0 ] && [ -z "$after" ] && [ ! -e $D ]; then
	ktap_test_pass rmmod_with_held_mappings
else
	hmkit_fail rmmod_with_held_mappings "window $ws-$we, $held slots held; loaded: '$loaded'; rmmod $r; after: '$after'"
fi

ok=1
for bad in 0 63 8193 4294967296 x; do
	insmod "$HMKIT_KO" slots=$bad 2>/dev/null && { ok=0; rmmod hmkit; }
done
insmod "$HMKIT_KO" slots=8192 && [ "$(pool_of slots)" = 8192 ] || ok=0
rmmod hmkit
if [ $ok = 1 ]; then ktap_test_pass slots_parameter_checked; else hmkit_fail slots_parameter_checked; fi

insmod "$HMKIT_KO"
hmkit_ctl alloc
z=$(hmkit_last_id)
bad=""
[ "$(ctl pool-unmap $z)" = EINVAL ] || bad="$bad pool-unmap-unmapped"
[ "$(ctl pool-map 4000000000)" = ENOENT ] || bad="$bad pool-map-unknown"
hmkit_ctl pool-hold 1
[ "$(ctl pool-hold 1)" = EBUSY ] || bad="$bad pool-hold-twice"
hmkit_ctl pool-release
for s in '' 'x' '1' '0 1' '1 0' '10000001 1' '1 8193' '1 1 1'; do
	[ "$(printf '%s\n' "$s" | hmctl write stress 2>/dev/null)" = EINVAL ] || bad="$bad stress:'$s'"
done
if [ -z "$bad" ]; then ktap_test_pass pool_bad_input_refused; else hmkit_fail pool_bad_input_refused "$bad"; fi

# Stress from every CPU: each thread on twice as many pages as the pool has
# slots, so flushes happen whatever the CPU count.
cpus=$(grep -c '^processor' /proc/cpuinfo)
pages=$((2 * $(pool_of slots)))
[ $pages -le 8192 ] || pages=8192
f0=$(stat_of flushes)
e0=$(stat_of early_flushes)
# Misses per CPU (the pool file's per-CPU table) before the stress.
cpu_misses() { awk 'f && NF == 6 { print $1, $6 } NF == 0 { f = 0 } $1 == "cpu" && $2 == "magazine" { f = 1 }' $D/pool; }
before=$(cpu_misses)
out=$(hmctl stress --threads "$cpus" --seconds 4 --pages $pages --json)
ops=$(echo "$out" | awk -F'[:,]' '/"ops"/ { print $2 + 0 }')
mis=$(echo "$out" | awk -F'[:,]' '/"mismatches"/ { print $2 + 0 }')
err=$(echo "$out" | awk -F'[:,]' '/"errors"/ { print $2 + 0 }')
if [ "${ops:-0}" -gt 0 ] && [ "$mis" = 0 ] && [ "$err" = 0 ]; then ktap_test_pass stress_all_cpus_verified; else hmkit_fail stress_all_cpus_verified "$out"; fi
hmkit_msg "stress: $(echo "$out" | tr -d '\n ')"
if [ "$(stat_of flushes)" -gt "$f0" ]; then ktap_test_pass stress_flushed; else hmkit_fail stress_flushed "no flush in $ops operations"; fi

# Each stress thread is pinned to its own CPU: each CPU's magazine served
# misses, and the per-CPU counters add up to the totals.
after=$(cpu_misses)
idle_cpus=$(printf '%s\n%s\n' "$before" "$after" | awk '{ if ($1 in m) { if ($2 <= m[$1]) print $1 } else m[$1] = $2 }')
rows=$(echo "$after" | grep -c .)
if [ "$rows" = "$cpus" ] && [ -z "$idle_cpus" ]; then ktap_test_pass stress_misses_on_every_cpu; else hmkit_fail stress_misses_on_every_cpu "rows $rows for $cpus CPUs; no new misses on CPU(s) $idle_cpus"; fi
sums=$(awk 'f && NF == 6 { h += $5; m += $6 } NF == 0 { f = 0 } $1 == "cpu" && $2 == "magazine" { f = 1 } END { print h, m, h + m }' $D/pool)
if [ "$sums" = "$(stat_of hits) $(stat_of misses) $(stat_of unmaps)" ]; then ktap_test_pass per_cpu_counts_add_up; else hmkit_fail per_cpu_counts_add_up "per-CPU hits, misses, maps: $sums; stats hits, misses, unmaps $(stat_of hits) $(stat_of misses) $(stat_of unmaps)"; fi
if [ "$(pool_of flush_gen)" = "$(stat_of flushes)" ] && [ "$(pool_of in_use)" = 0 ] &&
	[ $(($(pool_of free) + $(pool_of needs_flush))) = "$(pool_of slots)" ]; then
	ktap_test_pass pool_quiet_state_adds_up
else
	hmkit_fail pool_quiet_state_adds_up "flush_gen $(pool_of flush_gen), flushes $(stat_of flushes); in_use $(pool_of in_use), free $(pool_of free) + needs_flush $(pool_of needs_flush) vs $(pool_of slots) slots"
fi
# With more than one CPU, flushes start before the clean slots run out.
if [ "$cpus" -gt 1 ] && [ "$(stat_of early_flushes)" -gt "$e0" ] || { [ "$cpus" = 1 ] && [ "$(pool_of low_watermark)" = 0 ]; }; then
	ktap_test_pass early_flush_at_low_watermark
else
	hmkit_fail early_flush_at_low_watermark "$cpus CPUs, low_watermark $(pool_of low_watermark), early_flushes $e0 -> $(stat_of early_flushes)"
fi

# A stress write stops on a signal. 10^7 operations (the most one write
# takes) on 8192 pages, 8x the slots, so that most need a new slot, take
# about 2 minutes here (measured on the plain debug kernel under TCG: 1.2 s
# per 10^5; on 64 pages only 25 s): over 20x the 5 s the writer gets to
# come back after the signal (it takes a fraction of a second).
set -- $(hmkit_interrupt_write $D/stress "10000000 8192" TERM 5)
if [ "$1" = interrupted ]; then ktap_test_pass stress_stops_on_signal; else hmkit_fail stress_stops_on_signal "$*"; fi
hmkit_msg "stress write: $*"
o0=$(hmkit_val stress ops) m0=$(hmkit_val stress mismatches) e0=$(hmkit_val stress errors)
r=$(printf '1000 64\n' | hmctl write stress 2>/dev/null)
o1=$(hmkit_val stress ops) m1=$(hmkit_val stress mismatches) e1=$(hmkit_val stress errors)
if [ "$r" = ok ] && [ $((o1 - o0)) = 1000 ] && [ "$m1" = "$m0" ] && [ "$e1" = "$e0" ]; then
	ktap_test_pass stress_works_after_signal
else
	hmkit_fail stress_works_after_signal "$r; ops +$((o1 - o0)), mismatches $m0 -> $m1, errors $e0 -> $e1"
fi

hmkit_check hmctl_pool_json sh -c 'hmctl pool --json | grep -q "\"needs_flush\""'
hmkit_check hmctl_stats_json sh -c 'hmctl stats --json | grep -q "\"misses\""'

hmkit_finished
