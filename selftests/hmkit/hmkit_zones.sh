#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The zones file against /proc/zoneinfo (field by field) and /proc/meminfo.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
hmkit_load

ktap_print_header
ktap_set_plan 6

# Free pages move between two reads; everything else must be equal.
FREE_SLACK=1024

ours=$(awk '$1 == "0" { print $2, $3, $4, $5, $6, $7 }' $HMKIT_DEBUGFS/zones)
theirs=$(awk '
	/^Node 0, zone/ { if (z != "") print z, st, sp, pr, ma, fr; z = $4; st = 0; sp = pr = ma = fr = "?" }
	z != "" && $1 == "pages" && $2 == "free" { fr = $3 }
	z != "" && $1 == "spanned" { sp = $2 }
	z != "" && $1 == "present" { pr = $2 }
	z != "" && $1 == "managed" { ma = $2 }
	z != "" && $1 == "start_pfn:" { st = $2 }
	END { if (z != "") print z, st, sp, pr, ma, fr }' /proc/zoneinfo)

n_ours=$(echo "$ours" | grep -c .)
n_theirs=$(echo "$theirs" | grep -c .)
if [ "$n_ours" = "$n_theirs" ] && [ "$n_ours" -ge 3 ] &&
	[ "$(echo "$ours" | awk '{ print $1 }')" = "$(echo "$theirs" | awk '{ print $1 }')" ]; then
	ktap_test_pass zones_same_zones_as_zoneinfo
else
	hmkit_fail zones_same_zones_as_zoneinfo "ours: $(echo "$ours" | awk '{ print $1 }' | xargs) zoneinfo: $(echo "$theirs" | awk '{ print $1 }' | xargs)"
fi

# zoneinfo prints start_pfn only for populated zones; compare it there.
diff=$(printf '%s\n---\n%s\n' "$ours" "$theirs" | awk -v slack=$FREE_SLACK '
	$1 == "---" { t = 1; next }
	!t { o[$1] = $0; next }
	{
		split(o[$1], a, " ")
		if ($3 != 0 && a[2] != $2) print $1 " start_pfn " a[2] " vs " $2
		if (a[3] != $3) print $1 " spanned " a[3] " vs " $3
		if (a[4] != $4) print $1 " present " a[4] " vs " $4
		if (a[5] != $5) print $1 " managed " a[5] " vs " $5
		d = a[6] - $6; if (d < 0) d = -d
		if (d > slack) print $1 " free " a[6] " vs " $6
	}')
if [ -z "$diff" ]; then ktap_test_pass zones_fields_match_zoneinfo; else hmkit_fail zones_fields_match_zoneinfo "$diff"; fi

high_kb=$(awk '$1 == "0" && $8 == 1 { s += $6 } END { print s * 4 }' $HMKIT_DEBUGFS/zones)
low_kb=$(awk '$1 == "0" && $8 == 0 { s += $6 } END { print s * 4 }' $HMKIT_DEBUGFS/zones)
mi_high=$(awk '/^HighTotal:/ { print $2 }' /proc/meminfo)
mi_low=$(awk '/^LowTotal:/ { print $2 }' /proc/meminfo)
if [ "$high_kb" = "$mi_high" ] && { [ "$high_kb" -gt 0 ] || hmkit_no_highmem; }; then ktap_test_pass zones_highmem_managed_is_hightotal; else hmkit_fail zones_highmem_managed_is_hightotal "zones $high_kb kB, HighTotal $mi_high kB"; fi
if [ "$low_kb" = "$mi_low" ]; then ktap_test_pass zones_lowmem_managed_is_lowtotal; else hmkit_fail zones_lowmem_managed_is_lowtotal "zones $low_kb kB, LowTotal $mi_low kB"; fi

total=$(awk '$1 == "total" { print $4, $5, $6 }' $HMKIT_DEBUGFS/zones)
sums=$(awk '$1 == "0" { sp += $4; pr += $5; ma += $6 } END { print sp, pr, ma }' $HMKIT_DEBUGFS/zones)
if [ -n "$total" ] && [ "$total" = "$sums" ]; then ktap_test_pass zones_total_row; else hmkit_fail zones_total_row "total '$total', sums '$sums'"; fi

hmkit_check hmctl_zones_json sh -c 'hmctl zones --json | grep -q "\"managed\""'

hmkit_finished
