#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The kmaps file: the kernel's own kmap(), kmap_atomic() and kmap_local
# calls counted by call site through kprobes. Exact counts for a known
# caller (hmkit's own control commands, nesting depths included), a kmap()
# held for a known time in its histogram bucket, the pkmap's flush
# attributed to flush_all_zero_pkmaps, the
# call sites of real filesystem work (tmpfs; ext4 on the Debian root), the
# probes all gone after 100 start/stop rounds and after rmmod while
# tracing, refusals, hmctl kmaps (text, SVG, the cost per traced call) and
# hmctl watch --kmaps.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
hmkit_require_highmem "the exact counts are of highmem kmap() calls, which lowmem pages never make"
hmkit_load

K=$HMKIT_DEBUGFS/kmaps
LIST=/sys/kernel/debug/kprobes/list
[ -r $K ] || hmkit_skip_all "no $K"
[ -r $LIST ] || hmkit_skip_all "no $LIST: needs CONFIG_KPROBES"

ktap_print_header
ktap_set_plan 21

PROBED="kmap_high kunmap_high __kmap_local_page_prot __kmap_local_pfn_prot kunmap_local_indexed flush_tlb_kernel_range"
# How many of hmkit's probes the kernel lists now.
registered() {
	n=0
	for f in $PROBED; do
		grep -q " $f+0x0" $LIST && n=$((n + 1))
	done
	echo $n
}
kw() { printf '%s\n' "$1" >$K; }
# errno name the kmaps file answers COMMAND with ("ok" if it takes it).
answer() { printf '%s\n' "$1" | hmctl write kmaps 2>/dev/null; }
# Rows: mechanism calls highmem waits wait_ns holds hold_ns hold_max_ns
# held hold_hist depth_hist site, the site being "function+off/size
# [module]" for a module's code.
# row MECH FUNCTION: the site row of MECH whose call site is in FUNCTION.
row() { awk -v m="$1" -v f="$2" '$1 == m && index($12, f "+") == 1 { print; exit }' $K; }
# field N of a row (on stdin), 0 if there is no row.
field() { awk -v n="$1" '{ print $n; f = 1 } END { if (!f) print 0 }'; }
# ours MECH: MECH's rows at call sites in hmkit, added up: "calls highmem
# holds held depth_hist". hmkit's C shim calls the kernel's inline
# kmap_local_page() and friends; without frame pointers (the bench
# kernels) the compiler turns those calls into tail jumps and the site is
# the shim's Rust caller instead, one row per Rust call site.
ours() {
	awk -v m="$1" '$1 == m && $13 == "[hmkit]" {
		c += $2; h += $3; ho += $6; he += $9
		n = split($11, d, ",")
		for (i = 1; i <= n; i++) if (split(d[i], kv, ":") == 2) dep[kv[1]] += kv[2]
	} END {
		s = ""
		for (b = 0; b < 8; b++) if (b in dep) s = s (s == "" ? "" : ",") b ":" dep[b]
		print c + 0, h + 0, ho + 0, he + 0, (s == "" ? "-" : s)
	}' $K
}
fresh() { [ "$(hmkit_val kmaps state)" = stopped ] || kw stop; kw reset && kw start; }
# expect_ours NAME MECH WANT: result NAME passes if `ours MECH` is WANT.
expect_ours() {
	_got=$(ours "$2")
	[ "$_got" = "$3" ] && ktap_test_pass "$1" ||
		hmkit_fail "$1" "$2 calls highmem holds held depths: got '$_got', want '$3'"
}

hmkit_log_mark kmaps
# 1. Nothing is probed until asked.
if [ "$(hmkit_val kmaps state)" = stopped ] && [ "$(registered)" = 0 ]; then
	ktap_test_pass kmaps_idle_probes_nothing
else
	hmkit_fail kmaps_idle_probes_nothing "state $(hmkit_val kmaps state), $(registered) probes listed"
fi

# 2. start puts in all six probes; refusals while it runs.
kw reset && kw start
n=$(registered)
[ "$n" = 6 ] && ktap_test_pass kmaps_start_registers_six_probes ||
	hmkit_fail kmaps_start_registers_six_probes "$n of 6 listed in $LIST: $(cat $LIST)"
got="$(answer start) $(answer reset) $(answer bogus) $(answer 'start now')"
kw stop
got="$got $(answer stop)"
[ "$got" = "EBUSY EBUSY EINVAL EINVAL EALREADY" ] && ktap_test_pass kmaps_refusals ||
	hmkit_fail kmaps_refusals "start, reset while running, bogus, 'start now', stop while stopped: got '$got', want 'EBUSY EBUSY EINVAL EINVAL EALREADY'"

# 3. Exact counts under hmkit's own call sites.
N=37
hmkit_ctl alloc
id=$(hmkit_last_id)
fresh
i=0
while [ $i -lt $N ]; do
	hmkit_ctl kmap-local "$id" && hmkit_ctl kmap-atomic "$id" && hmkit_ctl kmap "$id" && hmkit_ctl kunmap "$id" || break
	i=$((i + 1))
done
kw stop
expect_ours kmaps_count_kmap_local kmap_local "$N $N 0 0 0:$N"
expect_ours kmaps_count_kmap_atomic kmap_atomic "$N $N 0 0 0:$N"
expect_ours kmaps_count_kmap kmap "$N $N $N 0 -"
got="$(ours kunmap | cut -d' ' -f1) $(ours kunmap_local | cut -d' ' -f1) $(ours kunmap_atomic | cut -d' ' -f1)"
[ "$got" = "$N $N $N" ] && ktap_test_pass kmaps_count_unmaps ||
	hmkit_fail kmaps_count_unmaps "kunmap kunmap_local kunmap_atomic: got '$got', want '$N $N $N'"
# The page variant's own call of the pfn variant (a call, or a tail jump
# without frame pointers) is not a second mapping.
r=$(awk '$1 ~ /_pfn$/ && $13 == "[hmkit]"' $K)
[ -z "$r" ] && ktap_test_pass kmaps_no_pfn_double_count ||
	hmkit_fail kmaps_no_pfn_double_count "pfn rows under hmkit's sites: $r"

# Nesting: kmap-nested maps the page three times, one inside the other:
# depths 0, 1 and 2 (kmap_local mappings the task already held), N each.
fresh
i=0
while [ $i -lt $N ]; do
	hmkit_ctl kmap-nested "$id" || break
	i=$((i + 1))
done
kw stop
expect_ours kmaps_nesting_depth kmap_local "$((3 * N)) $((3 * N)) 0 0 0:$N,1:$N,2:$N"

# 4. A kmap() held for 0.3 s (the shell's own writes around a sleep): one
# hold of at least 300 ms (and under 2 s), in the bucket b with 2^b <=
# hold_ns < 2^(b+1) (28 unless the guest was slow by 237 ms or more).
fresh
hmkit_ctl kmap "$id"
sleep 0.3
hmkit_ctl kunmap "$id"
kw stop
r=$(awk '$1 == "kmap" && $13 == "[hmkit]"' $K)
set -- $r
# (Doubling, not 2 ^ b: busybox's awk may be built without math.)
want=$(awk -v ns="${7:-0}" 'BEGIN { b = 0; p = 2; while (ns >= p) { p *= 2; b++ } print b ":1" }')
if [ "${6:-}" = 1 ] && [ "${10:-}" = "$want" ] && [ "$7" -ge 300000000 ] && [ "$7" -lt 2000000000 ] && [ "$8" = "$7" ]; then
	ktap_test_pass kmaps_hold_in_its_bucket
else
	hmkit_fail kmaps_hold_in_its_bucket "want 1 hold of 0.3..2 s in bucket ${want%:1} of its hold_ns, got row: $r"
fi

# 5. The pkmap's flush, from its wrap in kmap_high() (hmkit's pkmap-flush
# cycles the pkmap through all its slots with kmap()).
fresh
hmkit_ctl pkmap-flush
kw stop
# (Where the compiler inlined flush_all_zero_pkmaps(): clang, for ARM,
# keeps map_new_virtual() out of line and inlines it there.)
r=$(awk '$1 == "pkmap_flush" && $2 > 0 && $12 ~ /^(kmap_high|map_new_virtual|flush_all_zero_pkmaps|__kmap_flush_unused)\+/' $K)
km=$(awk '$1 == "kmap" && $13 == "[hmkit]" { n += $2 } END { print n + 0 }' $K)
cycled=$(hmkit_val control pkmap_flush_cycled)
if [ -n "$r" ] && [ "$km" = "$cycled" ] && [ "$km" -gt 0 ]; then
	ktap_test_pass kmaps_pkmap_flush_attributed
else
	hmkit_fail kmaps_pkmap_flush_attributed "pkmap_flush rows: '$r'; hmkit kmap() calls $km, pages the flush cycled $cycled"
fi

# 6. Filesystem work shows filesystem call sites. tmpfs: every page that
# write() fills is copied in by generic_perform_write() through
# copy_page_from_iter_atomic(), which 6.12 still maps with kmap_atomic():
# 16 MiB in 64 KiB writes, at least 4096 calls there. On the Debian root,
# ext4 and its journal (jbd2) on the scratch disk map pages of their own.
mkdir -p /tmp/kmaps-tmpfs
mount -t tmpfs none /tmp/kmaps-tmpfs
fresh
dd if=/dev/zero of=/tmp/kmaps-tmpfs/f bs=64k count=256 2>/dev/null
kw stop
umount /tmp/kmaps-tmpfs
n=$(row kmap_atomic copy_page_from_iter_atomic | field 2)
[ "$n" -ge 4096 ] && ktap_test_pass kmaps_tmpfs_write_path ||
	hmkit_fail kmaps_tmpfs_write_path "kmap_atomic calls in copy_page_from_iter_atomic: $n, want >= 4096; functions seen: $(awk '$1 ~ /^kmap/ { print $12 }' $K | head -20)"
if grep -q ' /data ext4 ' /proc/mounts; then
	fresh
	fio --name=kmaps --directory=/data --rw=write --size=16M --bs=64k --end_fsync=1 >/dev/null 2>&1
	sync
	kw stop
	rm -f /data/kmaps*
	r=$(awk '$1 ~ /^kmap/ && $2 > 0 && $12 ~ /^(ext4_|jbd2_|__block_|block_|mpage_)/' $K)
	[ -n "$r" ] && ktap_test_pass kmaps_ext4_sites ||
		hmkit_fail kmaps_ext4_sites "no kmap row in an ext4/jbd2/buffer function after fio on /data; functions seen: $(awk '$1 ~ /^kmap/ { print $12 }' $K | head -20)"
else
	hmkit_skip kmaps_ext4_sites "no ext4 scratch disk on /data (qemu/run.sh --rootfs debian --disk SIZE)"
fi

# 7. 100 start/stop rounds leave no probe behind, and no vmalloc space
# (the tables are made once, at the first start; the kprobe core's
# instruction slots are pages of their own, freed lazily: 1 MiB of slack).
vm0=$(awk '$1 == "VmallocUsed:" { print $2 }' /proc/meminfo)
i=0 bad=
while [ $i -lt 100 ]; do
	kw start && kw stop || { bad="round $i failed"; break; }
	i=$((i + 1))
done
n=$(registered)
vm1=$(awk '$1 == "VmallocUsed:" { print $2 }' /proc/meminfo)
if [ -z "$bad" ] && [ "$n" = 0 ] && [ $((vm1 - vm0)) -le 1024 ]; then
	ktap_test_pass kmaps_100_rounds_leave_nothing
else
	hmkit_fail kmaps_100_rounds_leave_nothing "${bad:-100 rounds}; $n probes still listed; VmallocUsed ${vm0} -> ${vm1} kB"
fi

# 8. rmmod while tracing takes the probes out; the module comes back.
kw start
if rmmod hmkit; then
	n=$(registered)
	insmod "$HMKIT_KO"
	[ "$n" = 0 ] && [ "$(hmkit_val kmaps state)" = stopped ] && ktap_test_pass kmaps_rmmod_while_tracing ||
		hmkit_fail kmaps_rmmod_while_tracing "$n probes listed after rmmod; state after insmod: $(hmkit_val kmaps state)"
else
	kw stop
	hmkit_fail kmaps_rmmod_while_tracing "rmmod refused"
fi
hmkit_ctl alloc
id=$(hmkit_last_id)

# 9. hmctl kmaps over a command: the report, the to-do list, the SVG.
out=$(hmctl kmaps --svg /tmp/kmaps.svg -- sh -c "for i in 1 2 3 4 5 6 7 8; do echo kmap-atomic $id >$HMKIT_DEBUGFS/control; done" 2>&1)
todo=$(echo "$out" | sed -n '/^To convert/,$p')
if echo "$out" | grep -q ' 8 kmap_atomic .*\[hmkit\]' && echo "$todo" | grep -q '\[hmkit\] .* 8 calls, 100% highmem'; then
	ktap_test_pass kmaps_hmctl_report
else
	hmkit_fail kmaps_hmctl_report "$(echo "$out" | head -20)"
fi
hmkit_check kmaps_hmctl_svg hmctl svg-check /tmp/kmaps.svg --expect "8 kmap_atomic (100% high)" --expect "kmap calls by call site"
rm -f /tmp/kmaps.svg
st=$(hmctl kmaps -- sh -c 'exit 3' 2>&1)
[ $? != 0 ] && echo "$st" | grep -q 'exited with status 3' && [ "$(hmkit_val kmaps state)" = stopped ] &&
	ktap_test_pass kmaps_hmctl_command_status ||
	hmkit_fail kmaps_hmctl_command_status "a failing command must fail hmctl kmaps and stop tracing: $st"

# 10. What tracing costs per call (the figures are printed, not judged);
# the traced runs must have been counted at hmkit's own sites.
out=$(hmctl kmaps --overhead --quick 2>&1)
hmkit_msg "$(echo "$out" | tr '\n' ';')"
hits=$(echo "$out" | awk '/^probe hits counted/ { print $NF }')
rows=$(echo "$out" | awk '$1 ~ /^kmap(_local|_atomic|_hit)?$/ && NF == 5' | wc -l)
[ "$rows" = 4 ] && [ "${hits:-0}" -gt 0 ] && ktap_test_pass kmaps_overhead_measured ||
	hmkit_fail kmaps_overhead_measured "$out"

# 11. The live view traces while it runs, and stops when it ends.
out=$(hmctl watch --kmaps --count 3 --interval 0.5 2>&1)
if echo "$out" | grep -q '^kmap calls per second: kmap=' && echo "$out" | grep -q '^pkmap use, last 3 samples' &&
	[ "$(hmkit_val kmaps state)" = stopped ] && [ "$(registered)" = 0 ]; then
	ktap_test_pass kmaps_watch
else
	hmkit_fail kmaps_watch "$(echo "$out" | tail -6); state $(hmkit_val kmaps state)"
fi

bad=$(hmkit_log_bad)
[ -z "$bad" ] && ktap_test_pass kmaps_no_kernel_complaints || hmkit_fail kmaps_no_kernel_complaints "$bad"
hmkit_finished
