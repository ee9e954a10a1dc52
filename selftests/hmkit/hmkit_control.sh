#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hostile input to the control file: every malformed write is refused with
# an errno and changes nothing; the module keeps working.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
hmkit_load

ktap_print_header
ktap_set_plan 8

C=$HMKIT_DEBUGFS/control
hmkit_ctl alloc
id=$(hmkit_last_id)
before=$(cat $C)

# Write printf ARGS... in one write(); prints ok or the errno's name.
try() { printf "$@" | hmctl write control 2>/dev/null; }

bad=""
for input in '\n' '   \n' 'bogus\n' 'ALLOC\n' 'alloc 0\n' 'alloc 1025\n' 'alloc -1\n' 'alloc 1 2\n' \
	'alloc 99999999999999999999\n' 'alloc 0x10\n' 'free\n' 'free 0\n' 'free abc\n' 'kmap\n' \
	'vmalloc 0\n' 'vmalloc 16777217\n' 'vmalloc 4294967296\n' 'alloc\000 1\n' '\377\376\375\n' \
	'alloc 1\nalloc 1\n' 'pkmap-flush now\n'; do
	r=$(try "$input")
	[ "$r" = EINVAL ] || bad="$bad ['$input': $r]"
done
if [ -z "$bad" ]; then ktap_test_pass junk_refused_with_einval; else hmkit_fail junk_refused_with_einval "$bad"; fi

r=$(try 'free 4000000000\n'; try 'kmap 4000000000\n'; try 'roundtrip 4000000000\n')
if [ "$(echo "$r" | grep -cx ENOENT)" = 3 ]; then ktap_test_pass unknown_handle_enoent; else hmkit_fail unknown_handle_enoent "$r"; fi

r=$(try 'kunmap %s\n' $id)
if [ "$r" = EINVAL ]; then ktap_test_pass kunmap_unmapped_einval; else hmkit_fail kunmap_unmapped_einval "$r"; fi

# Over 4 KiB in one write.
r=$(head -c 5000 /dev/zero | tr '\0' 'a' | hmctl write control 2>/dev/null)
if [ "$r" = E2BIG ]; then ktap_test_pass huge_write_e2big; else hmkit_fail huge_write_e2big "$r"; fi

r=$(printf '' | hmctl write control 2>/dev/null)
if [ "$r" = EINVAL ]; then ktap_test_pass empty_write_einval; else hmkit_fail empty_write_einval "$r"; fi

# Many writers at once, all junk.
for w in 1 2 3 4; do (for i in 1 2 3 4 5 6 7 8 9 10; do printf 'junk %s\n' $i >$C 2>/dev/null; done) & done
wait

after=$(cat $C)
if [ "$before" = "$after" ]; then ktap_test_pass state_unchanged_by_junk; else hmkit_fail state_unchanged_by_junk "before: $before after: $after"; fi

ok=1
for f in version layout zones pkmap control; do cat $HMKIT_DEBUGFS/$f >/dev/null || ok=0; done
if [ $ok = 1 ]; then ktap_test_pass every_file_still_reads; else hmkit_fail every_file_still_reads; fi

if hmkit_ctl roundtrip $id && hmkit_ctl free $id; then ktap_test_pass module_still_works; else hmkit_fail module_still_works; fi

hmkit_finished
