#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The layout file: ordered, complete, and in agreement with /proc/meminfo,
# the zones and the kernel's own page-table dump, on x86-32 and on ARM
# (whose layout differs: user space ends 16 MiB below PAGE_OFFSET, where
# the modules and then the pkmap sit; lowmem stops 248 MiB below
# VMALLOC_END; the device tree, fixmap and vectors sit above it).
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
hmkit_load

ktap_print_header
ktap_set_plan 11

L=$HMKIT_DEBUGFS/layout
arch=$(hmkit_val layout arch)
rows=$(awk 'f && NF == 4 { print } $1 == "region" { f = 1 }' $L)

# Rows tile 0..4G in order.
tiling=$(echo "$rows" | awk "$HMKIT_AWK_HEX"'
	{ s = hex($2); e = hex($3) }
	NR == 1 && s != 0 { print "first row starts at " $2; bad = 1 }
	NR > 1 && s != prev { print $1 " starts at " $2 ", previous ends at " pe; bad = 1 }
	e <= s { print $1 " is empty or reversed"; bad = 1 }
	{ prev = e; pe = $3 }
	END { if (prev != 4294967296) print "last row ends at " pe; }')
if [ -z "$tiling" ] && [ -n "$rows" ]; then ktap_test_pass layout_rows_tile_4g_in_order; else hmkit_fail layout_rows_tile_4g_in_order "$tiling"; fi

names=$(echo "$rows" | awk '{ print $1 }' | sort -u | tr '\n' ' ')
missing=""
want_rows="user lowmem vmalloc pkmap ldt_remap cpu_entry_area fixmap kmap_local"
[ "$arch" != arm ] || want_rows="user modules pkmap lowmem vmalloc fdt fixmap kmap_local vectors"
for r in $want_rows; do
	echo " $names" | grep -q " $r " || missing="$missing $r"
done
if [ -z "$missing" ]; then ktap_test_pass layout_names_every_region; else hmkit_fail layout_names_every_region "missing:$missing"; fi

vt=$(awk '/^VmallocTotal:/ { print $2 }' /proc/meminfo)
vk=$(hmkit_val layout vmalloc_kb)
vs=$(dec "$(hmkit_val layout vmalloc_start)")
ve=$(dec "$(hmkit_val layout vmalloc_end)")
if [ "$vt" = "$vk" ] && [ $(((ve - vs) / 1024)) = "$vt" ]; then ktap_test_pass layout_vmalloc_matches_meminfo; else hmkit_fail layout_vmalloc_matches_meminfo "VmallocTotal $vt, layout $vk"; fi

# high_memory is where ZONE_NORMAL's pages end in the direct map, which
# maps RAM from its first frame (pfn 0 on x86; PHYS_OFFSET on ARM: 1 GiB
# on QEMU's virt board, where Normal is the first zone).
po=$(dec "$(hmkit_val layout page_offset)")
hm=$(dec "$(hmkit_val layout high_memory)")
normal_end=$(awk '$2 == "Normal" { print $3 + $4 }' $HMKIT_DEBUGFS/zones)
[ "$arch" != arm ] || normal_end=$(awk '$2 == "Normal" { print $4 }' $HMKIT_DEBUGFS/zones)
if [ -n "$normal_end" ] && [ $((po + normal_end * 4096)) = "$hm" ]; then ktap_test_pass layout_high_memory_is_end_of_normal_zone; else hmkit_fail layout_high_memory_is_end_of_normal_zone "page_offset $po + $normal_end pages != high_memory $hm"; fi

# PAGE_OFFSET is the configured split's (the kernel's own config, from
# CONFIG_IKCONFIG_PROC): nothing here assumes 0xC0000000.
if [ ! -r /proc/config.gz ]; then
	hmkit_skip layout_page_offset_is_the_configured_splits "no /proc/config.gz: needs CONFIG_IKCONFIG_PROC"
else
	cpo=$(zcat /proc/config.gz | sed -n 's/^CONFIG_PAGE_OFFSET=//p')
	split=$(zcat /proc/config.gz | sed -n 's/^CONFIG_\(VMSPLIT_[0-9A-Z_]*\)=y$/\1/p')
	if [ -n "$cpo" ] && [ -n "$split" ] && [ "$(dec "$cpo")" = "$po" ]; then
		ktap_test_pass layout_page_offset_is_the_configured_splits
		echo "# $split: PAGE_OFFSET $cpo, lowmem $(((hm - po) >> 20)) MiB"
	else
		hmkit_fail layout_page_offset_is_the_configured_splits "config: $split PAGE_OFFSET $cpo; layout $(hmkit_val layout page_offset)"
	fi
fi

# With highmem, lowmem is MAXMEM = VMALLOC_END - PAGE_OFFSET - 128 MiB
# (__VMALLOC_RESERVE), so high_memory = VMALLOC_END - 128 MiB on every
# split (arch/x86/mm/init_32.c). ARM keeps 240 MiB of vmalloc and the
# 8 MiB VMALLOC_OFFSET below its fixed VMALLOC_END (arch/arm/mm/mmu.c:
# vmalloc_size, adjust_lowmem_bounds): 248 MiB. vmalloc= on the command
# line moves it.
reserve_mib=128
[ "$arch" != arm ] || reserve_mib=248
if grep -q 'vmalloc=' /proc/cmdline; then
	hmkit_skip layout_lowmem_is_maxmem "booted with vmalloc=: the reserve is not $reserve_mib MiB"
elif hmkit_no_highmem; then
	hmkit_skip layout_lowmem_is_maxmem "no highmem: lowmem is all of RAM, below MAXMEM"
elif [ "$hm" = $((ve - reserve_mib * 1024 * 1024)) ]; then
	ktap_test_pass layout_lowmem_is_maxmem
else
	hmkit_fail layout_lowmem_is_maxmem "high_memory $(hmkit_val layout high_memory), VMALLOC_END $(hmkit_val layout vmalloc_end): not $reserve_mib MiB apart"
fi

# The kernel's own stack traces. x86-32's entry code marks a frame
# pointer that points at saved registers by clearing its bit 31, and the
# frame-pointer unwinder takes any frame pointer without bit 31 for one
# (ENCODE_FRAME_POINTER in arch/x86/include/asm/frame.h,
# decode_frame_pointer in arch/x86/kernel/unwind_frame.c). With PAGE_OFFSET
# below 0x80000000 (VMSPLIT_2G_OPT: 0x78000000) the kernel stacks in the
# first 128 MiB of RAM have no bit 31, and the first tasks' stacks are
# there: their traces are lost. An expected failure on such a kernel (and
# a stale one if they unwind), a test everywhere else.
# ARM with SMP unwinds no task but the current one (arch/arm/kernel/
# stacktrace.c: another task may be running on another CPU), so there it
# is our own stack that must unwind.
stack=/proc/1/stack
[ "$arch" != arm ] || stack=/proc/self/stack
if [ ! -r $stack ]; then
	hmkit_skip layout_kernel_stacks_unwind "no $stack: needs CONFIG_STACKTRACE"
else
	frames=$(grep -c . $stack)
	fp=""
	zcat /proc/config.gz 2>/dev/null | grep -qx CONFIG_UNWINDER_FRAME_POINTER=y && fp=1
	if [ -n "$fp" ] && [ "$po" -lt $((0x80000000)) ]; then
		if [ "$frames" = 0 ]; then
			ktap_test_pass "layout_kernel_stacks_unwind # XFAIL PAGE_OFFSET $(hmkit_val layout page_offset) is below 0x80000000: the frame-pointer unwinder takes init's frame pointer for an encoded pt_regs and shows no frame"
		else
			hmkit_fail layout_kernel_stacks_unwind "init's stack unwinds ($frames frames) with PAGE_OFFSET below 0x80000000: the expected failure is stale"
		fi
	elif [ "$frames" -gt 0 ]; then
		ktap_test_pass layout_kernel_stacks_unwind
	else
		hmkit_fail layout_kernel_stacks_unwind "$stack shows no frame"
	fi
fi

lp=$(hmkit_val layout last_pkmap)
pb=$(dec "$(hmkit_val layout pkmap_base)")
pe=$(dec "$(hmkit_val layout pkmap_end)")
want=1024
grep -q '^paging: 3-level PAE' $L && want=512
# ARM: one PTE table's worth (PTRS_PER_PTE) in both formats.
[ "$arch" != arm ] || want=512
if [ "$lp" = $want ] && [ $((pe - pb)) = $((lp * 4096)) ]; then ktap_test_pass layout_pkmap_size; else hmkit_fail layout_pkmap_size "last_pkmap $lp (want $want), pkmap $pb-$pe"; fi

# The kernel's page-table dump marks where each area starts. The first
# range it prints after a marker must start at our boundary of the same
# name, or at most two pages above it: ptdump moves on by one marker per
# page-table entry, so "vmalloc() End" (two guard pages below PKMAP_BASE)
# shows at PKMAP_BASE and "Persistent kmap() Area" one page later.
# ARM's own dump (arch/arm/mm/dump.c) has no pkmap marker: the pkmap is
# the top 2 MiB of its "Modules" range, which ends at PAGE_OFFSET.
PT=/sys/kernel/debug/page_tables/kernel
pairs="Kernel Mapping:page_offset|vmalloc() Area:vmalloc_start|vmalloc() End:vmalloc_end|Persistent kmap() Area:pkmap_base|CPU entry area:cpu_entry_area_base|Fixmap area:fixaddr_start"
if [ "$arch" = arm ]; then
	PT=/sys/kernel/debug/kernel_page_tables
	pairs="Modules:modules_start|Kernel Mapping:page_offset|vmalloc() Area:vmalloc_start|FDT Area:fdt_start|Fixmap Area:fixaddr_start|Vectors:vectors_start"
fi
if [ ! -r $PT ]; then
	hmkit_skip layout_agrees_with_ptdump "no $PT: needs CONFIG_PTDUMP_DEBUGFS (ARM: CONFIG_ARM_PTDUMP_DEBUGFS)"
else
	bad=""
	IFS='|'
	# shellcheck disable=SC2086 # split on |
	set -- $pairs
	unset IFS
	for pair in "$@"; do
		marker=${pair%%:*} key=${pair##*:}
		ours=$(dec "$(hmkit_val layout "$key")")
		# The first range under the marker; "empty" when the next marker
		# comes first (ARM's dump lists mapped ranges only, and its
		# fixmap is empty between kmap_local uses).
		first=$(awk -v m="---[ $marker ]---" -v arm=$([ "$arch" = arm ] && echo 1 || echo 0) \
			'index($0, m) { f = 1; next } arm && f && /^---\[/ { print "empty"; exit } f && /^0x/ { split($1, a, "-"); print a[1]; exit }' $PT)
		if [ "$first" = empty ] && [ "$arch" = arm ]; then
			continue
		elif [ -z "$first" ] || [ "$first" = empty ]; then
			bad="$bad [$marker: not in the dump]"
		elif [ "$(dec "$first")" -lt "$ours" ] || [ "$(dec "$first")" -gt $((ours + 2 * 4096)) ]; then
			bad="$bad [$marker: dump $first, layout $key $(hmkit_val layout "$key")]"
		fi
	done
	if [ -z "$bad" ]; then ktap_test_pass layout_agrees_with_ptdump; else hmkit_fail layout_agrees_with_ptdump "$bad"; fi
fi

hmkit_check hmctl_layout_text sh -c 'hmctl layout | grep -q "kmap_local/kmap_atomic slots"'
hmkit_check hmctl_layout_json sh -c 'hmctl layout --json | grep -q "\"last_pkmap\": '"$lp"'"'

hmkit_finished
