#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# failslab and fail_page_alloc aimed at hmkit: during load (pool creation
# included) and during its operations. Every injected failure must give a
# clean error with nothing leaked or half-made, and hmkit must work again
# once injection stops.
#
# Aiming: the stack-trace filter limits failures to allocations with a
# frame in module space (hmkit is the only module), the task filter to the
# process that asked (make-it-fail), and "space" skips that process's first
# allocations, so that a sweep over it moves the failure through the code.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm

F=/sys/kernel/debug
for d in failslab fail_page_alloc; do
	[ -d $F/$d ] || hmkit_skip_all "no $F/$d: needs CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS"
done
[ -f $F/failslab/require-start ] || hmkit_skip_all "no stack-trace filter: needs CONFIG_FAULT_INJECTION_STACKTRACE_FILTER"
# The filter finds hmkit's frames with the kernel's unwinder. On x86-32
# with PAGE_OFFSET below 0x80000000 (VMSPLIT_2G_OPT) it loses the kernel
# stacks in the first 128 MiB of RAM, where the first tasks' stacks are
# (hmkit_layout's layout_kernel_stacks_unwind): nothing can be aimed.
# On ARM the unwinder (CONFIG_ARM_UNWIND, the only one with clang) has no
# such limit, and the trace of an allocation reaches hmkit's text at its
# first hmkit frame (a C shim, or a Rust function whose address is
# recorded before the unwinder needs its table), so the filter aims there
# too. ARM SMP saves no stack of another task: /proc/1/stack tells nothing.
arm_kernel=
case $(uname -m) in
arm*) arm_kernel=1 ;;
*)
	stack=/proc/1/stack
	[ "$(grep -c . $stack 2>/dev/null)" != 0 ] ||
		hmkit_skip_all "the kernel's unwinder shows no frame of init's stack (/proc/1/stack), so failslab's stack-trace filter cannot find hmkit's; on x86-32 that is PAGE_OFFSET $(zcat /proc/config.gz 2>/dev/null | sed -n 's/^CONFIG_PAGE_OFFSET=//p') below 0x80000000 with the frame-pointer unwinder"
	;;
esac

ktap_print_header
ktap_set_plan 6

# Module space: ARM's own area below PAGE_OFFSET; on x86-32 modules are
# vmalloc'd (layout's modules_start is 0 there).
hmkit_load
mstart=$(hmkit_val layout modules_start)
mend=$(hmkit_val layout modules_end)
if [ "$(dec "$mstart")" = 0 ]; then
	mstart=$(hmkit_val layout vmalloc_start)
	mend=$(hmkit_val layout vmalloc_end)
fi
rmmod hmkit

# arm TYPE SPACE [TIMES]: fail the first TIMES (default 1) hmkit
# allocations of a make-it-fail task after SPACE units (bytes for slab,
# pages for the page allocator).
arm() {
	d=$F/$1
	echo 0 >$d/verbose
	echo N >$d/ignore-gfp-wait
	[ ! -f $d/ignore-gfp-highmem ] || echo N >$d/ignore-gfp-highmem
	echo Y >$d/task-filter
	echo "$(dec "$mstart")" >$d/require-start
	echo "$(dec "$mend")" >$d/require-end
	echo 32 >$d/stacktrace-depth
	echo 100 >$d/probability
	echo 1 >$d/interval
	echo "$2" >$d/space
	echo "${3:-1}" >$d/times
}
disarm() { for d in failslab fail_page_alloc; do echo 0 >$F/$d/times; echo 0 >$F/$d/probability; done; }
# Whether the armed failure was used (at least once).
fired() { [ "$(cat $F/$1/times)" != "$2" ]; }
# Run "$@" as a make-it-fail task.
failing() { sh -c 'echo 1 >/proc/self/make-it-fail; exec "$@"' sh "$@"; }

# Load: move the failure point through module init (by "space") until a
# load goes through with the failure unused. Each attempt must end either
# without the module (and without its files) or with a module that works:
# some failures are absorbed by design (kvmalloc falls back to vmalloc,
# SLUB retries a slab page at its minimum order).
load_sweep() {
	type=$1 times=$2
	shift 2
	fired_n=0 failed_n=0 bad=""
	for space in "$@"; do
		arm "$type" $space $times
		# hmctl load: one attempt (busybox insmod retries a failed load).
		if failing hmctl load "$HMKIT_KO" >/dev/null 2>&1; then loaded=1; else loaded=0; fi
		f=0
		fired "$type" $times && f=1
		disarm
		if [ $loaded = 1 ]; then
			[ -r $HMKIT_DEBUGFS/version ] && [ "$(hmkit_val pool slots)" = 1024 ] &&
				printf 'alloc\n' >$HMKIT_DEBUGFS/control || bad="$bad [space $space: loaded but broken]"
			rmmod hmkit || bad="$bad [space $space: rmmod]"
		else
			failed_n=$((failed_n + 1))
			[ ! -d /sys/module/hmkit ] && [ ! -e $HMKIT_DEBUGFS ] || bad="$bad [space $space: half loaded]"
		fi
		[ $f = 1 ] || break
		fired_n=$((fired_n + 1))
	done
	echo "$fired_n $failed_n ${bad:-clean}"
}

set -- $(load_sweep failslab 1 0 32 128 512 1024 2048 4096 6144 8192 12288 16384 24576 32768 49152 65536 131072)
if [ "$2" -gt 0 ] && [ "$3" = clean ]; then ktap_test_pass failslab_during_load; else hmkit_fail failslab_during_load "$*"; fi
hmkit_msg "failslab: $1 injected, $2 loads failed cleanly"
# Two failures in a row: SLUB retries a failed slab page at a smaller order.
set -- $(load_sweep fail_page_alloc 2 0 1 2 3 4 6 8 12 16 24 32 48 64 96 128)
# On ARM every page allocation of order 1 or more (fail_page_alloc's
# min-order) that hmkit's load makes has a fallback: each injected failure
# is absorbed (with verbose=1 none is reported: __GFP_NOWARN attempts) and every
# load works. That is a skip with the counts, never a pass; a load that
# broke or half-loaded fails there too.
if [ "$2" -gt 0 ] && [ "$3" = clean ]; then
	ktap_test_pass fail_page_alloc_during_load
elif [ -n "$arm_kernel" ] && [ "$1" -gt 0 ] && [ "$2" = 0 ] && [ "$3" = clean ]; then
	hmkit_skip fail_page_alloc_during_load "ARM: all $1 injected page-allocator failures absorbed, every load worked"
else
	hmkit_fail fail_page_alloc_during_load "$*"
fi
hmkit_msg "fail_page_alloc: $1 injected, $2 loads failed cleanly"

# Operations: a refused allocation is ENOMEM and changes nothing; one the
# kernel absorbs leaves the operation done.
insmod "$HMKIT_KO"
C=$HMKIT_DEBUGFS/control
bad="" enomem=0 fired_n=0
for op in 'alloc 8' 'vmalloc 65536' 'pool-hold 32' 'pkmap-flush' 'alloc 1'; do
	for type in failslab fail_page_alloc; do
		before=$(cat $C; cat $HMKIT_DEBUGFS/pool)
		arm $type 0
		r=$(failing sh -c "printf '%s\n' '$op' | hmctl write control" 2>/dev/null)
		f=0
		fired $type 1 && f=1
		disarm
		[ $f = 0 ] || fired_n=$((fired_n + 1))
		case "$r" in
		ENOMEM)
			enomem=$((enomem + 1))
			[ "$before" = "$(cat $C; cat $HMKIT_DEBUGFS/pool)" ] || bad="$bad [$type '$op': ENOMEM but state changed]"
			;;
		ok) ;;
		*) bad="$bad [$type '$op': $r]" ;;
		esac
		[ "$r" != ok ] || [ "$op" != 'pool-hold 32' ] || hmkit_ctl pool-release
	done
done
if [ $enomem -gt 0 ] && [ -z "$bad" ]; then ktap_test_pass operations_fail_cleanly; else hmkit_fail operations_fail_cleanly "$enomem ENOMEM of $fired_n injected:$bad"; fi
hmkit_msg "operations: $fired_n failures injected, $enomem refused with ENOMEM"

# The selftest itself allocates (its report, its pages). Under injection,
# moved through it by "space" as for the load, a run either succeeds with
# a complete report whose every result is ok, or is refused with ENOMEM;
# afterwards a normal run passes fully, and the kernel logged nothing bad.
S=$HMKIT_DEBUGFS/selftest
hmkit_log_mark selftest_under_injection
bad="" fired_n=0 enomem=0
for spec in failslab:0 failslab:64 failslab:256 failslab:1024 failslab:4096 failslab:16384 \
	fail_page_alloc:0 fail_page_alloc:1 fail_page_alloc:4 fail_page_alloc:16 fail_page_alloc:64; do
	type=${spec%%:*} space=${spec##*:}
	arm "$type" "$space"
	r=$(failing sh -c "echo run | hmctl write selftest" 2>/dev/null)
	f=0
	fired "$type" 1 && f=1
	disarm
	[ $f = 0 ] || fired_n=$((fired_n + 1))
	case "$r" in
	ok)
		why=$(hmkit_ktap_clean <$S)
		[ -z "$why" ] || bad="$bad [$spec: ok, but: $why]"
		;;
	ENOMEM) enomem=$((enomem + 1)) ;;
	*) bad="$bad [$spec: ${r:-no answer}]" ;;
	esac
done
r=$(echo run | hmctl write selftest 2>/dev/null)
why=$(hmkit_ktap_clean <$S)
[ "$r" = ok ] && [ -z "$why" ] || bad="$bad [normal run after injection: $r $why]"
splat=$(hmkit_log_bad)
[ -z "$splat" ] || bad="$bad [kernel log: $splat]"
if [ $fired_n -gt 0 ] && [ -z "$bad" ]; then
	ktap_test_pass selftest_under_injection_survives
else
	hmkit_fail selftest_under_injection_survives "$fired_n injected:$bad"
fi
hmkit_msg "selftest: $fired_n failures injected, $enomem runs refused with ENOMEM"

# And everything works again.
rmmod hmkit && insmod "$HMKIT_KO"
hmkit_ctl alloc
id=$(hmkit_last_id)
works_again() {
	why=""
	hmkit_ctl pool-check $id && hmkit_ctl roundtrip $id && echo run >$S && why=$(hmkit_ktap_clean <$S) && [ -z "$why" ] ||
		{ echo "${why:-a command failed}"; return 1; }
}
hmkit_check works_after_injection works_again
hmkit_check unloads_after_injection sh -c "printf 'free $id\n' >$C && rmmod hmkit && insmod $HMKIT_KO"

hmkit_finished
