#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kmap(), kmap_local and kmap_atomic on highmem pages the module owns, and
# the kernel's pkmap as hmkit shows it.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
hmkit_require_highmem "these tests map highmem pages and watch them in the pkmap"
hmkit_load

ktap_print_header
ktap_set_plan 11

C=$HMKIT_DEBUGFS/control
# pkmap rows whose pfn is $1.
pkmap_rows() { awk -v p="$1" 'f && $3 == p { print } $1 == "slot" { f = 1 }' $HMKIT_DEBUGFS/pkmap; }

hmkit_ctl alloc 4
last=$(hmkit_last_id)
first=$((last - 3))
ids=$(seq $first $last)
high=0
for id in $ids; do [ "$(hmkit_obj page "$id" highmem)" = 1 ] && high=$((high + 1)); done
if [ $high = 4 ]; then ktap_test_pass alloc_gives_highmem_pages; else hmkit_fail alloc_gives_highmem_pages "$high of 4 in highmem"; fi

# Each roundtrip writes a pattern (kmap_local, then kmap_atomic on the
# next round) and reads it back through kmap_atomic, kmap() and kmap_local.
ok=1
for round in 1 2 3; do
	for id in $ids; do hmkit_ctl roundtrip "$id" || ok=0; done
done
[ "$(hmkit_obj page $first roundtrips)" = 3 ] || ok=0
if [ $ok = 1 ]; then ktap_test_pass roundtrip_local_atomic_kmap; else hmkit_fail roundtrip_local_atomic_kmap "a roundtrip failed: $(cat $C)"; fi

id=$first
pfn=$(hmkit_obj page $id pfn)
hmkit_ctl kmap $id
va=$(hmkit_obj page $id kmap_vaddr)
row=$(pkmap_rows "$pfn")
pb=$(dec "$(hmkit_val pkmap pkmap_base)")
slot_va=$(echo "$row" | awk '{ print $2 }')
slot=$(echo "$row" | awk '{ print $1 }')
if [ -n "$row" ] && [ "$(dec "$slot_va")" = "$(dec "$va")" ] && [ $((pb + slot * 4096)) = "$(dec "$va")" ]; then
	ktap_test_pass kmap_shows_in_pkmap_with_pfn
else
	hmkit_fail kmap_shows_in_pkmap_with_pfn "pfn $pfn kmapped at $va; pkmap row '$row'"
fi

# A nested kmap() of the same page shares its slot.
hmkit_ctl kmap $id
if [ "$(hmkit_obj page $id kmaps)" = 2 ] && [ "$(pkmap_rows "$pfn" | wc -l)" = 1 ]; then ktap_test_pass kmap_nested_same_slot; else hmkit_fail kmap_nested_same_slot "kmaps $(hmkit_obj page $id kmaps), rows $(pkmap_rows "$pfn" | wc -l)"; fi

hmkit_check roundtrip_while_kmapped hmkit_ctl roundtrip $id

# A flush leaves slots that are still held alone.
hmkit_ctl pkmap-flush
if [ -n "$(pkmap_rows "$pfn")" ]; then ktap_test_pass pkmap_flush_keeps_held_slot; else hmkit_fail pkmap_flush_keeps_held_slot "slot of a held page was cleared"; fi

if printf 'free %s\n' $id >$C 2>/dev/null; then hmkit_fail free_refused_while_kmapped "free succeeded"; else ktap_test_pass free_refused_while_kmapped; fi

# After kunmap the slot lingers until the pkmap wraps and flushes.
hmkit_ctl kunmap $id
hmkit_ctl kunmap $id
hmkit_ctl pkmap-flush
cycled=$(hmkit_val control pkmap_flush_cycled)
if [ -z "$(pkmap_rows "$pfn")" ] && [ "$cycled" -gt 1 ]; then
	ktap_test_pass kunmap_then_flush_clears_slot
else
	hmkit_fail kunmap_then_flush_clears_slot "row '$(pkmap_rows "$pfn")' after kunmap + flush ($cycled pages cycled)"
fi

ok=1
for i in $ids; do hmkit_ctl free "$i" || ok=0; done
if [ $ok = 1 ] && [ -z "$(awk -v a=$first -v b=$last '$1 == "page" && $2 >= a && $2 <= b' $C)" ]; then ktap_test_pass free_all; else hmkit_fail free_all "$(cat $C)"; fi

# kmap() holds through hmkit stop at half the kernel's pkmap (a full pkmap
# would put kmap() to sleep uninterruptibly, with hmkit's lock held).
lp=$(hmkit_val layout last_pkmap)
hmkit_ctl alloc $((lp / 2 + 8))
last=$(hmkit_last_id)
first=$((last - lp / 2 - 7))
n=0 r=ok
for i in $(seq $first $last); do
	r=$(printf 'kmap %s\n' $i | hmctl write control 2>/dev/null)
	[ "$r" = ok ] || break
	n=$((n + 1))
done
for i in $(seq $first $last); do hmkit_ctl kunmap $i 2>/dev/null; hmkit_ctl free $i; done
if [ $n = $((lp / 2)) ] && [ "$r" = EBUSY ]; then ktap_test_pass kmap_holds_capped_at_half_pkmap; else hmkit_fail kmap_holds_capped_at_half_pkmap "$n holds, then $r (last_pkmap $lp)"; fi

# The pkmap file is one snapshot: while another task keeps the kernel's
# pkmap churning (pkmap-flush maps a thousand new pages and wraps it),
# every read's "mapped:" count equals the rows it lists (hmctl pkmap
# refuses a file where they differ).
(while :; do hmkit_ctl pkmap-flush 2>/dev/null; done) &
churn=$!
reads=0 bad=0
while [ $reads -lt 60 ]; do
	reads=$((reads + 1))
	hmctl pkmap >/dev/null 2>/tmp/kmap.pkmap.err || bad=$((bad + 1))
done
kill $churn
wait $churn 2>/dev/null
if [ $bad = 0 ]; then ktap_test_pass pkmap_consistent_while_others_kmap; else hmkit_fail pkmap_consistent_while_others_kmap "$bad of $reads reads inconsistent: $(cat /tmp/kmap.pkmap.err)"; fi
rm -f /tmp/kmap.pkmap.err

hmkit_finished
