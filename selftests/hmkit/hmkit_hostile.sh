#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every writable hmkit file against a corpus of junk: empty, huge, binary,
# overflowing numbers, unknown verbs, partial and concurrent writes. Each
# is refused with an errno, nothing changes, every file still reads and
# the pool still works. Racing vmalloc writers cannot get past the cap.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
hmkit_load

D=$HMKIT_DEBUGFS
writable=$(cd $D && for f in *; do [ "$(stat -c %a "$f")" = 600 ] || [ "$(stat -c %a "$f")" = 200 ] && echo "$f"; done)

ktap_print_header
ktap_set_plan $(($(echo "$writable" | wc -l) + 5))

hmkit_ctl alloc
id=$(hmkit_last_id)
snapshot() { for f in control pool stress; do cat $D/$f; done; grep -v _ns $D/stats; }
before=$(snapshot)

big=/tmp/hostile.big
head -c 4096 /dev/urandom >$big
for f in $writable; do
	bad=""
	# printf formats; none is a valid command for any file.
	for input in '' '\n' '\n\n' ' ' '\t\n' 'frobnicate\n' 'run now\n' 'RUN\n' '\000\n' '\001\002\003\377' \
		'alloc 99999999999999999999\n' '1 99999999999999999999\n' '-1 -1\n' '0x10 0x10\n' \
		'free 18446744073709551616\n' 'vmalloc 99999999999\n' 'pool-hold 99999\n' '10000001 1\n' \
		'kmap -0\n' 'alloc 1 \000\n' 'alloc 1\nalloc 1\n'; do
		r=$(printf "$input" | hmctl write "$f" 2>/dev/null)
		case "$r" in EINVAL | E2BIG) ;; *) bad="$bad ['$input': $r]" ;; esac
	done
	r=$(hmctl write "$f" <$big 2>/dev/null)
	case "$r" in EINVAL | E2BIG) ;; *) bad="$bad [4096 random bytes: $r]" ;; esac
	r=$(head -c 70000 /dev/zero | hmctl write "$f" 2>/dev/null)
	[ "$r" = E2BIG ] || bad="$bad [70000 zero bytes: $r]"
	# A valid command split over several write()s: each piece is refused.
	r=$(printf 'pool-flush\n' | hmctl write --split 3 "$f" 2>/dev/null | sort -u | tr '\n' ' ')
	[ "$r" = "EINVAL " ] || bad="$bad [split: $r]"
	if [ -z "$bad" ]; then ktap_test_pass "junk_refused_by_$f"; else hmkit_fail "junk_refused_by_$f" "$bad"; fi
done

# Concurrent junk from several writers on every writable file.
for w in 1 2 3 4; do
	(for i in $(seq 1 25); do
		for f in $writable; do printf 'junk %s %s\n' $w $i | hmctl write "$f" >/dev/null 2>&1; done
	done) &
done
wait

after=$(snapshot)
if [ "$before" = "$after" ]; then ktap_test_pass state_unchanged; else hmkit_fail state_unchanged "$(printf '%s\n---\n%s' "$before" "$after" | head -20)"; fi

ok=1
for f in $D/*; do [ -w "$f" ] && [ "$(stat -c %a "$f")" = 200 ] && continue; cat "$f" >/dev/null || ok=0; done
if [ $ok = 1 ]; then ktap_test_pass every_file_reads; else hmkit_fail every_file_reads; fi

hmkit_check pool_still_works hmkit_ctl pool-check $id

# Racing writers against the cap on live vmalloc areas (32 MiB): however
# their checks interleave, only as many 16 MiB areas as fit are made.
MIB16=16777216
t0=$(hmkit_val control vmalloc_bytes)
id0=$(hmkit_last_id)
for w in 1 2 3 4 5 6; do
	(printf 'vmalloc %s\n' $MIB16 | hmctl write control >/tmp/hostile.vmalloc.$w 2>/dev/null) &
done
wait
oks=$(cat /tmp/hostile.vmalloc.* | grep -cx ok)
nospc=$(cat /tmp/hostile.vmalloc.* | grep -cx ENOSPC)
t1=$(hmkit_val control vmalloc_bytes)
made=$(awk -v id0="$id0" '$1 == "vmalloc" && $2 > id0 { print $2 }' $D/control)
fit=$(((2 * MIB16 - ${t0:-0}) / MIB16))
if [ -n "$t0" ] && [ "$oks" = $fit ] && [ "$nospc" = $((6 - fit)) ] && [ "$(echo "$made" | grep -c .)" = $fit ] &&
	[ "$t1" = $((t0 + fit * MIB16)) ]; then
	ktap_test_pass vmalloc_cap_holds_against_racing_writers
else
	hmkit_fail vmalloc_cap_holds_against_racing_writers "vmalloc_bytes ${t0:-missing} -> $t1: $oks made, $nospc ENOSPC, want $fit and $((6 - fit)); results $(cat /tmp/hostile.vmalloc.* | xargs)"
fi
for i in $made; do hmkit_ctl free $i; done
rm -f /tmp/hostile.vmalloc.*

hmkit_check module_still_unloads sh -c "hmkit_ctl() { printf '%s\n' \"\$*\" >$D/control; }; hmkit_ctl free $id && rmmod hmkit && insmod $HMKIT_KO"

hmkit_finished
