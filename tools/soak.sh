#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make soak`: selftests/hmkit/soak.sh (every mechanism at once on every
# CPU, the pool stressed on twice as many pages as it has slots) for
# SECONDS on each kernel format, then the verified pool operations of all
# of them added up. Fails when a run fails (a mismatch, an error, a kernel
# splat), or when fewer than MIN_OPS operations were verified in all (the
# soak did not cover what it is for: give it more SECONDS).
#
#   tools/soak.sh [SECONDS [MIN_OPS [FLAVOUR...]]]
#                 defaults: 600, 10000000, plain pae
set -euo pipefail
. "$(dirname "$0")/lib.sh"

secs=${1:-600}
min_ops=${2:-10000000}
shift $(($# < 2 ? $# : 2))
[ $# -gt 0 ] || set -- plain pae
[[ $secs =~ ^[0-9]+$ ]] || die "SECONDS must be a number of seconds, not '$secs'"
[[ $min_ops =~ ^[0-9]+$ ]] || die "MIN_OPS must be a number, not '$min_ops'"

results=${RESULTS:-$HMKIT_ROOT/results}
total=0 failed=0
for fl in "$@"; do
	out=$results/soak-$fl
	rm -rf "$out"
	mkdir -p "$out"
	log "soaking $fl for ${secs}s (results in $out)"
	if ! "$HMKIT_ROOT/qemu/run.sh" --flavour "$fl" --out "$out" --timeout $((secs + 600)) -- \
		/selftests/hmkit/soak.sh "$secs"; then
		warn "$fl: the soak failed (console: $out/console.log)"
		failed=1
	fi
	json=$out/soak-stress.json
	if [ ! -s "$json" ]; then
		warn "$fl: no pool stress result in $json"
		failed=1
		continue
	fi
	if ! read -r ops bad < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(int(d["ops"]), int(d["mismatches"]) + int(d["errors"]))' "$json" 2>/dev/null); then
		warn "$fl: $json is not the stress report it should be: $(head -c 300 "$json")"
		failed=1
		continue
	fi
	log "$fl: $ops verified pool operations, $bad mismatches or errors"
	[ "$bad" = 0 ] || failed=1
	total=$((total + ops))
done
log "all kernels: $total verified pool operations (at least $min_ops wanted)"
if [ "$total" -lt "$min_ops" ]; then
	warn "fewer than $min_ops operations: run longer (make soak SOAK_SECONDS=...)"
	failed=1
fi
exit $failed
