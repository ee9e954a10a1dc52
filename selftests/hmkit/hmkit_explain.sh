#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hmctl explain gives every claim of its table a live value and a verdict,
# and the verdicts that follow from plain facts of this kernel are right.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
hmkit_load

ktap_print_header
ktap_set_plan 10

out=$(hmctl explain --json)
n=$(echo "$out" | grep -c '"claim":')
verdicts=$(echo "$out" | grep -c -E '"verdict": "(holds|differs)"')
lives=$(echo "$out" | grep '"live":' | grep -v -c -E '"live": "",?$|not measured')
sources=$(echo "$out" | grep '"source":' | grep -c -E '[0-9]{3}_[0-9a-f]{16}\.txt')
if [ "$n" -ge 20 ] && [ "$verdicts" = "$n" ] && [ "$lives" = "$n" ] && [ "$sources" = "$n" ]; then
	ktap_test_pass explain_every_claim_live_and_judged
else
	hmkit_fail explain_every_claim_live_and_judged "$n claims, $verdicts verdicts, $lives live values, $sources sources"
fi

# verdict ID: the verdict given for claim ID.
verdict() { echo "$out" | awk -v id="\"$1\"," '$1 == "\"id\":" && $2 == id { f = 1 } f && $1 == "\"verdict\":" { gsub(/[",]/, "", $2); print $2; exit }'; }
po=$(hmkit_val layout page_offset)
want=differs
[ "$po" = 0xc0000000 ] && want=holds
if [ "$(verdict page_offset_c0000000)" = $want ]; then ktap_test_pass explain_page_offset_verdict; else hmkit_fail explain_page_offset_verdict "got $(verdict page_offset_c0000000), PAGE_OFFSET $po"; fi

# The claims that hold only on the 3G/1G split: they hold there, and
# elsewhere they differ with the split named (from the kernel's own config).
split=$(zcat /proc/config.gz 2>/dev/null | sed -n 's/^CONFIG_\(VMSPLIT_[0-9A-Z_]*\)=y$/\1/p')
bad=""
for id in user_kernel_split_3g_1g page_offset_c0000000 direct_map_linear linear_map_reaches_about_1gb; do
	w=$want
	# ARM: user space ends 16 MiB below PAGE_OFFSET, and the direct map
	# starts at PHYS_OFFSET: those two differ on any split.
	case "$(hmkit_val layout arch) $id" in
	"arm user_kernel_split_3g_1g" | "arm direct_map_linear") w=differs ;;
	esac
	[ "$(verdict $id)" = "$w" ] || bad="$bad $id:$(verdict $id)"
done
if [ -z "$bad" ]; then ktap_test_pass explain_split_claims_follow_the_split; else hmkit_fail explain_split_claims_follow_the_split "PAGE_OFFSET $po, want $want:$bad"; fi
reason() { echo "$out" | awk -v id="\"$1\"," '$1 == "\"id\":" && $2 == id { f = 1 } f && $1 == "\"reason\":" { print; exit }'; }
if [ -z "$split" ]; then
	hmkit_skip explain_names_the_split "no CONFIG_VMSPLIT_* in /proc/config.gz"
elif if [ "$want" = holds ]; then [ "$split" = VMSPLIT_3G ] && reason page_offset_c0000000 | grep -q "of VMSPLIT_3G"; else
	reason page_offset_c0000000 | grep -q "$split (PAGE_OFFSET"; fi; then
	ktap_test_pass explain_names_the_split
else
	hmkit_fail explain_names_the_split "$split: $(reason page_offset_c0000000)"
fi

lk=$(hmkit_val layout lowmem_kb)
want=differs
[ "$lk" = $((896 * 1024)) ] && want=holds
if [ "$(verdict direct_map_896mb)" = $want ]; then ktap_test_pass explain_896mb_verdict; else hmkit_fail explain_896mb_verdict "got $(verdict direct_map_896mb), lowmem $lk kB"; fi

# 4 MiB and 1024 pages: 2-level x86 only (PAE's and ARM's pkmap is 512 pages).
want=holds
grep -q '^paging: 3-level PAE' $HMKIT_DEBUGFS/layout && want=differs
grep -q '^arch: arm' $HMKIT_DEBUGFS/layout && want=differs
if [ "$(verdict pkmap_4mb_1024_pages)" = $want ]; then ktap_test_pass explain_pkmap_size_verdict; else hmkit_fail explain_pkmap_size_verdict "got $(verdict pkmap_4mb_1024_pages)"; fi

# Shown live with hmctl's own workload and the census: process memory,
# page cache (tmpfs here, a disk file on the Debian root) and, with
# CONFIG_HIGHPTE, page tables land in HighMem; a highmem page has a kernel
# address only while kmap()ed.
for id in highmem_holds_process_memory highmem_holds_page_cache highmem_holds_page_tables highmem_page_has_no_kernel_address; do
	v=$(verdict $id)
	if hmkit_no_highmem; then
		# Nothing can land in highmem: the claims must be judged, not hold.
		[ -n "$v" ] && ktap_test_pass "explain_$id" || hmkit_fail "explain_$id" "no verdict without highmem"
	elif [ "$v" = holds ]; then
		ktap_test_pass "explain_$id"
	else
		hmkit_fail "explain_$id" "got '$v': $(echo "$out" | awk -v id="\"$id\"," '$1 == "\"id\":" && $2 == id { f = 1 } f && $1 == "\"live\":" { print; exit }')"
	fi
done

hmkit_finished
