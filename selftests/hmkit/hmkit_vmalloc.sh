#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vmalloc areas the module owns: the pages behind them, checked against
# the zones and /proc/vmallocinfo; the cap on their total (32 MiB of live
# areas, each at most 16 MiB) and the listing's vmalloc_bytes total.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
hmkit_load

ktap_print_header
ktap_set_plan 10

C=$HMKIT_DEBUGFS/control
size=$((64 * 1024 + 100))
pages=17
hmkit_ctl vmalloc $size
id=$(hmkit_last_id)

if [ "$(hmkit_obj vmalloc $id size)" = $size ] && [ "$(hmkit_obj vmalloc $id pages)" = $pages ] &&
	[ "$(awk -v id=$id '$1 == "vpage" && $2 == id' $C | wc -l)" = $pages ]; then
	ktap_test_pass vmalloc_page_count
else
	hmkit_fail vmalloc_page_count "$(grep "vmalloc $id " $C)"
fi

# Each page's zone and highmem flag agree with the zone table's pfn ranges.
bad=$(awk -v id=$id 'FILENAME ~ /zones$/ { if ($1 == "0" && $4 > 0) { n++; zs[n] = $3; ze[n] = $3 + $4; zn[n] = $2; zh[n] = $8 }; next }
	$1 == "vpage" && $2 == id {
		split($5, p, "="); split($6, z, "="); split($7, h, "=")
		found = 0
		for (i = 1; i <= n; i++) if (p[2] >= zs[i] && p[2] < ze[i]) { found = 1; if (zn[i] != z[2] || zh[i] != h[2]) print $0 " but zone table says " zn[i] }
		if (!found) print $0 " is in no zone"
	}' $HMKIT_DEBUGFS/zones $C)
if [ -z "$bad" ]; then ktap_test_pass vmalloc_pages_in_their_zones; else hmkit_fail vmalloc_pages_in_their_zones "$bad"; fi

hp=$(hmkit_obj vmalloc $id highmem_pages)
count=$(awk -v id=$id '$1 == "vpage" && $2 == id && $7 == "highmem=1"' $C | wc -l)
if hmkit_no_highmem; then hmkit_skip vmalloc_backed_by_highmem "$HMKIT_NO_HIGHMEM"; elif [ "$hp" = "$count" ] && [ "$hp" -gt 0 ]; then ktap_test_pass vmalloc_backed_by_highmem; else hmkit_fail vmalloc_backed_by_highmem "highmem_pages=$hp, rows $count"; fi

# /proc/vmallocinfo prints addresses with %pK: real ones only for root
# with kptr_restrict=1.
kptr=$(cat /proc/sys/kernel/kptr_restrict)
echo 1 >/proc/sys/kernel/kptr_restrict
start=$(hmkit_obj vmalloc $id start)
line=$(grep "^$start-" /proc/vmallocinfo)
if echo "$line" | grep -q "pages=$pages vmalloc"; then ktap_test_pass vmalloc_in_vmallocinfo; else hmkit_fail vmalloc_in_vmallocinfo "start $start; vmallocinfo: '$line'"; fi

hmkit_ctl free $id
# vfree() is lazy: the range may stay listed as "unpurged vm_area" for a while.
line=$(grep "^$start-" /proc/vmallocinfo)
if ! echo "$line" | grep -q "pages="; then ktap_test_pass vmalloc_freed; else hmkit_fail vmalloc_freed "still allocated: $line"; fi
echo "$kptr" >/proc/sys/kernel/kptr_restrict

# The cap, from a fresh module (no area left by an earlier test).
MIB16=16777216
rmmod hmkit && insmod "$HMKIT_KO"
ctl() { printf '%s\n' "$*" | hmctl write control 2>/dev/null; }
total() { hmkit_val control vmalloc_bytes; }
# The sum of the listed areas' sizes.
sizes() { awk '$1 == "vmalloc" { for (i = 3; i <= NF; i++) if ($i ~ /^size=/) { sub("size=", "", $i); s += $i } } END { print s + 0 }' $C; }

t0=$(total)
if [ "$t0" = 0 ] && [ "$(sizes)" = 0 ]; then ktap_test_pass vmalloc_bytes_listed; else hmkit_fail vmalloc_bytes_listed "vmalloc_bytes '$t0' with no area: $(head -4 $C | tr '\n' ' ')"; fi

r1=$(ctl vmalloc $MIB16)
a=$(hmkit_last_id)
r2=$(ctl vmalloc $MIB16)
b=$(hmkit_last_id)
t2=$(total)
if [ "$r1 $r2" = "ok ok" ] && [ "$t2" = $((2 * MIB16)) ] && [ "$(sizes)" = "$t2" ]; then
	ktap_test_pass vmalloc_two_16mib_areas_fit
else
	hmkit_fail vmalloc_two_16mib_areas_fit "$r1 $r2, vmalloc_bytes $t2, listed sizes $(sizes)"
fi

# Full: a third area, or a single byte more, is refused and changes nothing.
before=$(cat $C)
r3=$(ctl vmalloc $MIB16)
r4=$(ctl vmalloc 1)
r5=$(ctl vmalloc 4096)
if [ "$r3 $r4 $r5" = "ENOSPC ENOSPC ENOSPC" ] && [ "$(cat $C)" = "$before" ]; then
	ktap_test_pass vmalloc_over_32mib_enospc
else
	hmkit_fail vmalloc_over_32mib_enospc "16 MiB: $r3, 1 byte: $r4, 4096 bytes: $r5; vmalloc_bytes $(total)"
fi

# Freeing one makes room again.
hmkit_ctl free $a
t1=$(total)
r6=$(ctl vmalloc $MIB16)
c=$(hmkit_last_id)
t3=$(total)
if [ "$t1" = $MIB16 ] && [ "$r6" = ok ] && [ "$t3" = $((2 * MIB16)) ]; then
	ktap_test_pass vmalloc_free_makes_room
else
	hmkit_fail vmalloc_free_makes_room "after free: vmalloc_bytes $t1; then $r6, vmalloc_bytes $t3"
fi
hmkit_ctl free $b
hmkit_ctl free $c
t4=$(total)
if [ "$t4" = 0 ] && [ "$(sizes)" = 0 ]; then ktap_test_pass vmalloc_bytes_back_to_zero; else hmkit_fail vmalloc_bytes_back_to_zero "vmalloc_bytes $t4 after freeing every area"; fi

hmkit_finished
