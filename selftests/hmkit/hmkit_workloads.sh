#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hmctl workload, short runs of each named workload on Debian's fio and
# stress-ng (the Debian root with a scratch disk: qemu/run.sh --rootfs
# debian --disk 1G): each writes its report (text, JSON, SVG), and the
# census moves the class the workload is about by about its size; the
# report says what the kernel kmapped meanwhile.
# HMKIT_WORKLOAD_MIB and HMKIT_WORKLOAD_SECONDS set the size and length
# (make workloads runs them long; the suite runs them short).
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
command -v fio >/dev/null && command -v stress-ng >/dev/null ||
	hmkit_skip_all "no fio or stress-ng: run on the Debian root (qemu/run.sh --rootfs debian --disk 1G)"
mountpoint -q /data 2>/dev/null || hmkit_skip_all "no scratch disk on /data (qemu/run.sh --rootfs debian --disk 1G)"
hmkit_load

MIB=${HMKIT_WORKLOAD_MIB:-32}
SECONDS_=${HMKIT_WORKLOAD_SECONDS:-6}
OUT=${HMKIT_WORKLOAD_OUT:-/tmp/hmkit-workloads}
mkdir -p "$OUT"

ktap_print_header
ktap_set_plan 13

# counted NAME COUNTER: what the kernel counted during the run (/proc/vmstat,
# the report's "The kernel counted" line), or nothing.
counted() { sed -n 's/^The kernel counted ([^)]*): //p' "$OUT/workload-$1.txt" | tr ',' '\n' | awk -v k="$2" '$1 == k { sub(/^\+/, "", $2); print $2 }'; }
# report NAME: the workload's text report. field NAME CLASS COL: a number
# from its table (3: peak +, 4: MiB in highmem at that peak, 5: after +).
# Only the first table counts (the what-if after it has class rows too).
field() { awk -v c="$2" -v k="$3" '/^What-if/ { exit } $1 == c { v = $k; sub(/^\+/, "", v); print v; f = 1; exit } END { if (!f) print 0 }' "$OUT/workload-$1.txt"; }
# at_least NAME CLASS COL MIB: the number is at least MIB.
at_least() { awk -v v="$(field "$1" "$2" "$3")" -v m="$4" 'BEGIN { exit !(v + 0 >= m + 0) }'; }

run() {
	name=$1
	shift
	if hmctl workload "$name" --mib "$MIB" --seconds "$SECONDS_" --out "$OUT" >/dev/null 2>"$OUT/$name.err" &&
		[ -s "$OUT/workload-$name.txt" ] && [ -s "$OUT/workload-$name.json" ] &&
		hmctl svg-check "$OUT/workload-$name.svg" --expect highmem --expect lowmem >/dev/null; then
		ktap_test_pass "workload_${name}_runs_and_reports"
	else
		hmkit_fail "workload_${name}_runs_and_reports" "$(tail -n 3 "$OUT/$name.err")"
		ktap_test_fail "workload_${name}_moves_its_class"
		return
	fi
	grep -v '^The kernel counted' "$OUT/workload-$name.txt" | head -n 20 | sed 's/^/# /'
	grep '^The kernel counted' "$OUT/workload-$name.txt" | sed 's/^/# /'
	# A check returns 0 (moved), 4 with skip_why set (nothing to judge), else failed.
	skip_why=
	"$@"
	r=$?
	if [ $r = 4 ] && [ -n "$skip_why" ]; then
		hmkit_skip "workload_${name}_moves_its_class" "$skip_why"
		return
	fi
	case $r in
	0) ktap_test_pass "workload_${name}_moves_its_class" ;;
	*) hmkit_fail "workload_${name}_moves_its_class" "$*: $(grep -E '^(anon|file_|shmem|slab|zsmalloc)' "$OUT/workload-$name.txt" | tr '\n' ';')" ;;
	esac
}

# Three quarters of the size is the floor: the census is sampled once a
# second and the tools take a moment to reach their size.
floor=$((MIB * 3 / 4))
# Page cache on ext4: clean or dirty; it stays after fio ends until the file is removed.
pagecache_moved() {
	awk -v a="$(field pagecache file_clean 5)" -v b="$(field pagecache file_dirty 5)" -v c="$(field pagecache file_writeback 5)" \
		-v m="$floor" 'BEGIN { exit !(a + b + c >= m + 0) }'
}
run pagecache pagecache_moved
run anon at_least anon anon 3 "$floor"
run tmpfs at_least tmpfs shmem 5 "$floor"
# Thousands of inodes and dentries: slab, which must be lowmem, grows.
run metadata at_least metadata slab 3 1
# Pages paged out to zram (stress-ng --pageswap: MADV_PAGEOUT, each page
# kept out until the stressor unmaps its list): zsmalloc, zram's pool,
# holds them compressed. The swap report reads zram's mm_stat once it is
# swap (mkswap's header page is stored by then: the most used so far is
# the start) and at the end; the census's peak counts from before zram
# was set up, with no zsmalloc (zram is its only user here). When the
# pool grew past the header, the census's zsmalloc peak must have grown
# past it too, and by no more than zram counted at most (mem_used_max;
# 8 pages of slack: a zspage page in migration counts twice for a moment,
# and zram updates its max after an allocation). When it did not grow, what
# the kernel counted says whether stress-ng got as far as paging out: on a
# short run (the suite's), a guest that paged nothing out (TCG on a busy
# host) has nothing to judge; paging out without the pool growing, a
# missing count, or nothing paged out in a long run (make workloads) fails.
swap_moved() {
	z=$(grep '^zram0 ' "$OUT/workload-swap.txt")
	start=$(echo "$z" | sed -n 's/.*: \([0-9]*\) pages used once it was swap.*/\1/p')
	max=$(echo "$z" | sed -n 's/.*most memory used \([0-9]*\) pages.*/\1/p')
	peak=$(echo "$z" | sed -n "s/.*the census's zsmalloc peak +*\(-*[0-9]*\) pages.*/\1/p")
	echo "# zram and the census: ${z:-no zram0 line in the report}"
	[ -n "$start" ] && [ -n "$max" ] && [ -n "$peak" ] || return 1
	if [ "$max" -gt "$start" ]; then
		[ "$peak" -gt "$start" ] && [ "$peak" -le $((max + 8)) ]
		return
	fi
	out=$(counted swap pswpout)
	[ -n "$out" ] || return 1
	if [ "$out" -eq 0 ] && [ "$SECONDS_" -lt 30 ]; then
		skip_why="the kernel paged nothing out in the run (pswpout +0, $SECONDS_ s): no swap to judge"
		return 4
	fi
	return 1
}
run swap swap_moved
mix_moved() { at_least mix anon 3 "$floor" && at_least mix shmem 5 "$floor" && at_least mix slab 3 1; }
run mix mix_moved

# What a workload kmaps: the pagecache run (fio on ext4) traced the
# kernel's kmap calls; its report lists the page-cache copy sites
# (copy_page_to_iter, copy_page_from_iter_atomic), and draws them.
k=$(sed -n '/^What this workload kmaps/,$p' "$OUT/workload-pagecache.txt")
if echo "$k" | grep -Eq ' kmap_(atomic|local) .* copy_page_(to_iter|from_iter_atomic)\+' &&
	hmctl svg-check "$OUT/workload-pagecache-kmaps.svg" --expect "what workload pagecache kmaps" --expect copy_page_ >/dev/null; then
	ktap_test_pass workload_pagecache_kmaps_reported
else
	hmkit_fail workload_pagecache_kmaps_reported "$(echo "$k" | head -12)"
fi

hmkit_finished
