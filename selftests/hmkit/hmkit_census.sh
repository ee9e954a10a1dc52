#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The census against independent sources in the same guest: /proc/zoneinfo
# (every zone's spanned pages, its free pages), /proc/meminfo (AnonPages,
# Cached, Shmem, PageTables, Slab, KernelStack, VmallocUsed, HighFree), the
# kernel's own tools/mm/page-types over /proc/kpageflags (when in the
# guest), and memory a real tool adds: 64 MiB of tmpfs (dd), and on the
# Debian root 64 MiB of anonymous memory (stress-ng) and of page cache
# (fio on the scratch disk, /data). Then the what-if against the live layout.
#
# Tolerances (each stated where it is used): the census walks without locks
# while the machine runs, so counts that move between two reads get slack;
# the sums of its classes are exact.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
hmkit_load

ktap_print_header
ktap_set_plan 23

C=$HMKIT_DEBUGFS/census
MIB=256 # pages per MiB

# census rows: zone spanned <14 classes> pkmap; columns 3..16 are the classes.
census() { cat $C; }
# col NAME [ZONE]: a class's pages (total row by default) in a census text on stdin.
col() {
	awk -v name="$1" -v zone="${2:-total}" '
		$1 == "zone" { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == zone && ("spanned" in c) { print $(c[name]); exit }'
}

snap=$(census)
if [ -z "$snap" ]; then
	hmkit_fail census_readable "cannot read $C"
else
	ktap_test_pass census_readable
fi

# 1. Every zone's classes add up to its spanned pages, which are zoneinfo's.
bad=$(echo "$snap" | awk '
	$1 == "zone" { h = 1; next }
	h && NF == 17 { s = 0; for (i = 3; i <= 16; i++) s += $i; if (s != $2) print $1 ": classes " s " != spanned " $2 }')
[ -z "$bad" ] && ktap_test_pass census_classes_sum_to_spanned || hmkit_fail census_classes_sum_to_spanned "$bad"

zi=$(awk '/^Node 0, zone/ { z = $4 } z != "" && $1 == "spanned" { print z, $2 }' /proc/zoneinfo)
bad=$(printf '%s\n---\n%s\n' "$zi" "$(echo "$snap" | awk '$1 == "zone" { h = 1; next } h && NF == 17 && $1 != "total" { print $1, $2 }')" | awk '
	$1 == "---" { t = 1; next }
	!t { z[$1] = $2; n++; next }
	{ m++; if (z[$1] != $2) print $1 ": census " $2 ", zoneinfo " z[$1] }
	END { if (n != m) print n " zones in zoneinfo, " m " in the census" }')
[ -z "$bad" ] && ktap_test_pass census_spanned_is_zoneinfos || hmkit_fail census_spanned_is_zoneinfos "$bad"

# 2. Free pages per zone: the buddy blocks the walk found against the
# zone's NR_FREE_PAGES. Slack: 1024 pages (4 MiB) move between the reads.
# As below for HighFree, taken up to 3 times for a moment when no per-CPU
# list drains during the walk.
i=0
while :; do
	bad=$(printf '%s\n---\n%s\n' "$(census | awk '$1 == "zone" { h = 1; next } h && NF == 17 && $1 != "total" { print $1, $3 }')" \
		"$(awk '/^Node 0, zone/ { z = $4 } z != "" && $1 == "pages" && $2 == "free" { print z, $3 }' /proc/zoneinfo)" | awk '
		$1 == "---" { t = 1; next }
		!t { c[$1] = $2; n++; next }
		{ m++; d = c[$1] - $2; if (d < 0) d = -d; if (d > 1024) print $1 ": census free " c[$1] ", zoneinfo " $2 }
		END { if (n < 3 || n != m) print n " census zones, " m " in zoneinfo" }')
	[ -n "$bad" ] || break
	i=$((i + 1))
	[ $i -lt 3 ] || break
	hmkit_msg "census_free_is_zoneinfos: try $i: $bad"
	sleep 1
done
[ -z "$bad" ] && ktap_test_pass census_free_is_zoneinfos || hmkit_fail census_free_is_zoneinfos "$bad"

# A quiet guest has a few dozen page-table and anonymous pages, less than
# the slack below: 200 sleeping processes give each class megabytes, so
# that a misclassified class shows (they are ended after section 4).
sleepers=""
i=0
while [ $i -lt 200 ]; do
	sleep 600 &
	sleepers="$sleepers $!"
	i=$((i + 1))
done
sleep 1

# 3. /proc/meminfo, kB, against the classes; read right after a census.
# hmkit's own pool unmaps lazily: its idle slots still map (and hold) the
# pages they last mapped, in the vmalloc area, which VmallocUsed does not
# count. Flush them first (earlier tests may have left hundreds).
hmkit_ctl pool-flush
# near NAME OURS_KB THEIRS_KB SLACK_KB PERCENT: |ours - theirs| <= slack + percent of theirs.
near() {
	if awk -v a="$2" -v b="$3" -v s="$4" -v p="$5" 'BEGIN { if (a !~ /^[0-9]+$/ || b !~ /^[0-9]+$/) exit 1
		d = a - b; if (d < 0) d = -d; exit !(d <= s + b * p / 100) }'; then
		ktap_test_pass "$1"
	else
		hmkit_fail "$1" "census $2 kB, /proc/meminfo $3 kB (allowed: $4 kB + $5%)"
	fi
}
snap=$(census)
mi() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
kb() { echo "$snap" | col "$1" "${2:-total}" | awk '{ print $1 * 4 }'; }
sum_kb() {
	t=0
	for c in "$@"; do t=$((t + $(kb "$c"))); done
	echo $t
}
# The anon class also holds anonymous pages no longer mapped (being freed,
# in the swap cache), which AnonPages does not count: 2 MiB + 5%.
near census_anon_is_anonpages "$(kb anon)" "$(mi AnonPages)" 2048 5
# Cached + Buffers is the page cache and shmem less the swap cache.
near census_file_and_shmem_is_cached_plus_buffers "$(sum_kb file_clean file_dirty file_writeback shmem)" \
	$(($(mi Cached) + $(mi Buffers) + $(mi SwapCached))) 2048 5
near census_shmem_is_shmem "$(kb shmem)" "$(mi Shmem)" 1024 5
# Page tables are a page type and NR_PAGETABLE moves with it (the PAE top
# level, a few pages, is neither): 256 kB.
near census_pagetable_is_pagetables "$(kb pagetable)" "$(mi PageTables)" 256 2
# Slab counts slab pages only; meminfo's Slab also has large kmalloc()s: 4 MiB + 10%.
near census_slab_is_slab "$(kb slab)" $(($(mi SReclaimable) + $(mi SUnreclaim))) 4096 10
# KernelStack also counts the idle tasks' stacks, which are not in the task list: 8 kB a CPU + 64 kB.
near census_kstack_is_kernelstack "$(kb kstack)" "$(mi KernelStack)" $((8 * $(grep -c ^processor /proc/cpuinfo) + 64)) 2
# VmallocUsed counts vmalloc()ed pages; the class also has vmap()ed ones, and
# loses those that are something else first: 2 MiB + 10%.
near census_vmalloc_is_vmallocused "$(kb vmalloc)" "$(mi VmallocUsed)" 2048 10
# Free highmem against HighFree, 4 MiB apart at most. The per-CPU lists
# hold tens of MiB here, and a drain into the buddy during the walk moves
# pages between free and pcp: the check is taken up to 3 times, for a
# moment when nothing drains.
i=0
while :; do
	snap=$(census)
	ours=$(kb free HighMem) theirs=$(mi HighFree)
	awk -v a="$ours" -v b="$theirs" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 4096) }' && break
	i=$((i + 1))
	[ $i -lt 3 ] || break
	hmkit_msg "census_highmem_free_is_highfree: try $i: census $ours kB, HighFree $theirs kB"
	sleep 1
done
near census_highmem_free_is_highfree "$ours" "$theirs" 4096 0

# 4. page-types, the kernel's own tool, over /proc/kpageflags: pages with
# a flag in each zone's pfn range, against the census class taken just
# before. Slack: 2 MiB + 2% (page-types itself holds about 1 MiB of
# anonymous memory while it reads).
pt=$(command -v page-types || true)
zones=$(awk '/^Node 0, zone/ { z = $4 } z != "" && $1 == "spanned" { sp = $2 } z != "" && $1 == "start_pfn:" && sp > 0 { print z, $2, $2 + sp; z = "" }' /proc/zoneinfo)
pt_check() {
	name=$1 flag=$2 class=$3
	if [ -z "$pt" ]; then
		hmkit_skip "$name" "page-types is not in this guest (tools/build-page-types.sh)"
		return
	fi
	snap=$(census)
	# The zones hmkit spans (x86: DMA, Normal and HighMem; ARM's virt
	# board: Normal and HighMem; no HighMem without highmem).
	nz=$(awk '$1 == "0" && $4 > 0' $HMKIT_DEBUGFS/zones | grep -c .)
	[ "$(echo "$zones" | grep -c .)" -ge $nz ] || { hmkit_fail "$name" "fewer than $nz populated zones in /proc/zoneinfo: '$zones'"; return; }
	bad=$(echo "$zones" | while read -r z lo hi; do
		n=$("$pt" -a "$lo,$hi" -b "$flag" 2>/dev/null | awk '$1 == "total" { print $2 }' | tail -n1)
		ours=$(echo "$snap" | col "$class" "$z")
		awk -v z="$z" -v a="${ours:-x}" -v b="${n:-x}" 'BEGIN {
			if (a !~ /^[0-9]+$/ || b !~ /^[0-9]+$/) { print z ": census " a ", page-types " b; exit }
			d = a - b; if (d < 0) d = -d; if (d > 512 + b * 2 / 100) print z ": census " a ", page-types " b }'
	done)
	[ -z "$bad" ] && ktap_test_pass "$name" || hmkit_fail "$name" "$bad"
}
pt_check census_anon_is_page_types_anonymous anonymous anon
pt_check census_slab_is_page_types_slab slab slab
pt_check census_pagetable_is_page_types_pgtable pgtable pagetable
hmkit_msg "with 200 sleepers: pagetable $(census | col pagetable) pages, anon $(census | col anon) pages"
kill $sleepers 2>/dev/null
wait $sleepers 2>/dev/null

# 5. Memory a real tool adds moves the matching class by as much, in MiB:
# within 10% + 4 MiB of what was added.
moved() {
	name=$1 class=$2 want=$3 before=$4 after=$5
	d=$(( ($(echo "$after" | col "$class") - $(echo "$before" | col "$class")) / MIB ))
	if awk -v d=$d -v w=$want 'BEGIN { e = d - w; if (e < 0) e = -e; exit !(e <= 4 + w / 10) }'; then
		hmkit_msg "$name: $class +$d MiB"
		ktap_test_pass "$name"
	else
		hmkit_fail "$name" "$class moved by $d MiB, not $want"
	fi
}
t=/tmp/hmkit-census-tmpfs
mkdir -p $t && mount -t tmpfs -o size=128m hmkit-census $t
b=$(census)
dd if=/dev/zero of=$t/fill bs=1M count=64 2>/dev/null
a=$(census)
moved census_tmpfs_64m_is_shmem shmem 64 "$b" "$a"
umount $t

if command -v stress-ng >/dev/null; then
	b=$(census)
	stress-ng --vm 1 --vm-bytes 64M --vm-keep --vm-populate --timeout 60s --quiet --temp-path /tmp &
	sp=$!
	# Wait until the worker holds its 64 MiB (anon grows by >= 60 MiB), at most 40 s.
	i=0
	while [ $i -lt 40 ]; do
		sleep 1
		a=$(census)
		[ $(( ($(echo "$a" | col anon) - $(echo "$b" | col anon)) / MIB )) -lt 60 ] || break
		i=$((i + 1))
	done
	kill $sp 2>/dev/null
	wait $sp 2>/dev/null
	moved census_stress_ng_64m_is_anon anon 64 "$b" "$a"
else
	hmkit_skip census_stress_ng_64m_is_anon "no stress-ng: on the Debian root (qemu/run.sh --rootfs debian)"
fi

if command -v fio >/dev/null && mountpoint -q /data 2>/dev/null; then
	# A small run first, so that fio's own binary and libraries are in
	# the page cache before the census that the real run is measured from.
	fio --name=warmup --directory=/data --rw=write --bs=64k --size=1M --ioengine=psync --end_fsync=1 --output-format=terse >/dev/null
	rm -f /data/warmup.0.0
	sync
	b=$(census)
	fio --name=census --directory=/data --rw=write --bs=1M --size=64M --ioengine=psync --end_fsync=1 --output-format=terse >/dev/null
	a=$(census)
	rm -f /data/census.0.0
	moved census_fio_64m_is_page_cache file_clean 64 "$b" "$a"
else
	hmkit_skip census_fio_64m_is_page_cache "no fio or no /data: on the Debian root with a disk (qemu/run.sh --rootfs debian --disk 1G)"
fi

# 6. The what-if follows from the live layout: under the running split,
# lowmem is the last lowmem frame of /proc/zoneinfo (less ARM's
# PHYS_OFFSET: RAM starts at Normal's first frame there); each split's
# lowmem and highmem add up to the census's RAM.
w=$(hmctl whatif --json)
arch=$(hmkit_val layout arch)
low=$(awk -v arm=$([ "$arch" = arm ] && echo 1 || echo 0) '/^Node 0, zone/ { z = $4 } z == "Normal" && $1 == "spanned" { sp = $2 } z == "Normal" && $1 == "start_pfn:" { printf "%.0f\n", ($2 * (1 - arm) + sp) * 4096; exit }' /proc/zoneinfo)
run_low=$(echo "$w" | awk '/"lowmem_bytes"/ { l = $2 } /"running": true/ { gsub(",", "", l); printf "%.0f\n", l }')
[ -n "$low" ] && [ "$run_low" = "$low" ] && ktap_test_pass whatif_running_split_is_live_lowmem ||
	hmkit_fail whatif_running_split_is_live_lowmem "whatif says $run_low, zoneinfo $low"
# x86-32 has five VMSPLIT choices, ARM four (no 2G_OPT).
nsplits=5
[ "$arch" != arm ] || nsplits=4
bad=$(echo "$w" | awk -v want=$nsplits '
	/"ram_bytes"/ { gsub(",", "", $2); ram = $2 + 0 }
	/"split"/ { s = $2; sp = 1 }
	sp && /"lowmem_bytes"/ { gsub(",", "", $2); lo = $2 + 0 }
	sp && /"highmem_bytes"/ { gsub(",", "", $2); if (lo + $2 != ram) print s " " lo " + " $2 " != " ram; n++ }
	END { if (n != want) print n " splits, not " want }')
[ -z "$bad" ] && ktap_test_pass whatif_splits_add_up_to_ram || hmkit_fail whatif_splits_add_up_to_ram "$bad"

# The vmalloc reserve the what-if uses is the kernel's __VMALLOC_RESERVE:
# 128 MiB (ARM: its 240 MiB vmalloc_size and the 8 MiB VMALLOC_OFFSET), or
# vmalloc= plus the 8 MiB VMALLOC_OFFSET gap when that is given.
want=$((128 << 20))
[ "$arch" != arm ] || want=$((248 << 20))
v=$(sed -n 's/.*vmalloc=\([0-9]*\)M.*/\1/p' /proc/cmdline)
[ -z "$v" ] || want=$(((v + 8) << 20))
got=$(echo "$w" | awk '/"vmalloc_reserve_bytes"/ { gsub(",", "", $2); printf "%.0f\n", $2 }')
[ "$got" = "$want" ] && ktap_test_pass whatif_vmalloc_reserve_is_the_kernels ||
	hmkit_fail whatif_vmalloc_reserve_is_the_kernels "whatif $got, want $want"

# 7. hmctl watch: a view per interval, plain text or one JSON object a line.
v=$(hmctl watch --count 2 --interval 0.5)
hm=2
hmkit_no_highmem && hm=0
if [ "$(echo "$v" | grep -c '^hmkit watch')" = 2 ] && [ "$(echo "$v" | grep -c '^HighMem ')" = $hm ] &&
	echo "$v" | grep -q '^kernel pkmap: [0-9]* of [0-9]* slots mapped'; then
	ktap_test_pass watch_text_views
else
	hmkit_fail watch_text_views "$(echo "$v" | head -n 4)"
fi
v=$(hmctl watch --count 3 --interval 0.2 --json)
if [ "$(echo "$v" | grep -c '^{"t":.*"census":{.*"zones":\[.*"pkmap_mapped":')" = 3 ]; then
	ktap_test_pass watch_json_lines
else
	hmkit_fail watch_json_lines "$(echo "$v" | cut -c1-120 | head -n 3)"
fi

hmkit_finished
