#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Where a benchmark mechanism's instructions go inside hmkit.ko, function by
# function: one bench request (`MECHANISM ITERATIONS WORKING_SET`, as the
# bench file takes) on one vCPU under qemu/run.sh --icount, with every run
# of a block of the module's code logged (--trace-code), then added up by
# tools/profile.py. Kernel functions hmkit calls are outside the module and
# not in the table; the bench file's figure for the same request, printed
# first, includes them.
#
#   tools/profile.sh [FLAVOUR] MECHANISM ITERATIONS WORKING_SET
#   e.g. tools/profile.sh bench pool_miss 20000 2048      (make profile)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 3 ] && set -- bench "$@"
[ $# -eq 4 ] || die "usage: tools/profile.sh [FLAVOUR] MECHANISM ITERATIONS WORKING_SET"
flavour=$1 mech=$2 iters=$3 wset=$4
[[ $iters =~ ^[0-9]+$ ]] && [ "$iters" -gt 0 ] && [ "$iters" -le 200000 ] ||
	die "ITERATIONS: 1 to 200000 (the log grows by about 1 KiB per operation)"

"$HMKIT_ROOT/tools/build.sh" "$flavour" >&2
ko=$HMKIT_BUILD/$flavour/hmkit.ko
out=$HMKIT_BUILD/profile-$flavour
rm -rf "$out"
mkdir -p "$out"
run=("$HMKIT_ROOT/qemu/run.sh" --flavour "$flavour" --no-build --icount --smp 1 --timeout 1800 --out "$out")
text='cat /sys/module/hmkit/sections/.text'

# The module's code range. Under --icount on one CPU the same boot loads it
# at the same address; the traced boot checks that it did.
log "finding where hmkit.ko's code is loaded"
base=$("${run[@]}" -- sh -c "$text" | { grep -o '^0x[0-9a-f]*' || true; } | tail -n1)
[ -n "$base" ] || die "could not read hmkit's .text address (console: $out/console.log)"
size=$(size -A "$ko" | awk '$1 == ".text" { printf "0x%x", $2 }')
[ -n "$size" ] || die "no .text section in $ko"

log "tracing '$mech $iters $wset' in $base+$size (slow: about a minute per 20000 operations)"
"${run[@]}" --trace-code "$base+$size" -- sh -c \
	"$text >/out/text; echo '$mech $iters $wset' >/sys/kernel/debug/hmkit/bench && tail -n1 /sys/kernel/debug/hmkit/bench >/out/sample" ||
	die "the traced run failed (console: $out/console.log)"
[ "$(cat "$out/text")" = "$base" ] || die "hmkit.ko loaded at $(cat "$out/text") in the traced boot, not $base: run again"
read -r _ m it _ _ start end _ <"$out/sample" || die "no bench sample in $out/sample"
[ "$m" = "$mech" ] || die "the bench file's last sample is '$m', not '$mech'"
echo "$mech: $(( (end - start) / it )) instructions per op in all, by the bench file (QEMU's logging runs outside the guest and adds none)"
nm -S --defined-only "$ko" >"$out/nm.txt"
python3 "$HMKIT_ROOT/tools/profile.py" "$out/qemu-code.log" "$out/nm.txt" "$base" "$it"
