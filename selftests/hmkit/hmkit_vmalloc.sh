#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vmalloc areas the module owns: the pages behind them, checked against
# the zones and /proc/vmallocinfo.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
hmkit_load

ktap_header
ktap_plan 5

C=$HMKIT_DEBUGFS/control
size=$((64 * 1024 + 100))
pages=17
hmkit_ctl vmalloc $size
id=$(hmkit_last_id)

if [ "$(hmkit_obj vmalloc $id size)" = $size ] && [ "$(hmkit_obj vmalloc $id pages)" = $pages ] &&
	[ "$(awk -v id=$id '$1 == "vpage" && $2 == id' $C | wc -l)" = $pages ]; then
	ktap_pass vmalloc_page_count
else
	ktap_fail vmalloc_page_count "$(grep "vmalloc $id " $C)"
fi

# Each page's zone and highmem flag agree with the zone table's pfn ranges.
bad=$(awk -v id=$id 'FILENAME ~ /zones$/ { if ($1 == "0" && $4 > 0) { n++; zs[n] = $3; ze[n] = $3 + $4; zn[n] = $2; zh[n] = $8 }; next }
	$1 == "vpage" && $2 == id {
		split($5, p, "="); split($6, z, "="); split($7, h, "=")
		found = 0
		for (i = 1; i <= n; i++) if (p[2] >= zs[i] && p[2] < ze[i]) { found = 1; if (zn[i] != z[2] || zh[i] != h[2]) print $0 " but zone table says " zn[i] }
		if (!found) print $0 " is in no zone"
	}' $HMKIT_DEBUGFS/zones $C)
if [ -z "$bad" ]; then ktap_pass vmalloc_pages_in_their_zones; else ktap_fail vmalloc_pages_in_their_zones "$bad"; fi

hp=$(hmkit_obj vmalloc $id highmem_pages)
count=$(awk -v id=$id '$1 == "vpage" && $2 == id && $7 == "highmem=1"' $C | wc -l)
if [ "$hp" = "$count" ] && [ "$hp" -gt 0 ]; then ktap_pass vmalloc_backed_by_highmem; else ktap_fail vmalloc_backed_by_highmem "highmem_pages=$hp, rows $count"; fi

# /proc/vmallocinfo prints addresses with %pK: real ones only for root
# with kptr_restrict=1.
kptr=$(cat /proc/sys/kernel/kptr_restrict)
echo 1 >/proc/sys/kernel/kptr_restrict
start=$(hmkit_obj vmalloc $id start)
line=$(grep "^$start-" /proc/vmallocinfo)
if echo "$line" | grep -q "pages=$pages vmalloc"; then ktap_pass vmalloc_in_vmallocinfo; else ktap_fail vmalloc_in_vmallocinfo "start $start; vmallocinfo: '$line'"; fi

hmkit_ctl free $id
# vfree() is lazy: the range may stay listed as "unpurged vm_area" for a while.
line=$(grep "^$start-" /proc/vmallocinfo)
if ! echo "$line" | grep -q "pages="; then ktap_pass vmalloc_freed; else ktap_fail vmalloc_freed "still allocated: $line"; fi
echo "$kptr" >/proc/sys/kernel/kptr_restrict

ktap_finish
