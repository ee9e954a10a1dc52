#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The instruction-count guard of `make test`: `hmctl bench --guard` in the VM
# under qemu/run.sh --icount on one CPU, where guest time counts
# instructions, compared row by row with the baseline committed in
# qemu/bench-baseline/FLAVOUR.json. It is a report of work done, not a
# timing: the host's load does not change it.
#
#   tools/bench-guard.sh FLAVOUR             compare with the baseline
#   tools/bench-guard.sh FLAVOUR --update    record a new baseline
#
# Each row's fewest instructions per op of its 3 runs is compared; it fails
# when one of hmkit's own paths (the pool, and lowmem: the loop around every
# mechanism) or of the kernel's exactly repeatable ones (kmap_local,
# kmap_atomic) takes more than MARGIN percent (default 10) more than the
# baseline. Those repeat to within 0.5% from boot to boot; kmap, kmap_hit,
# vmap and vm_map_ram move by a few percent with where the pkmap wraps and
# vmap purges fall, and are reported, not guarded (see README.md). Needs the flavour's kernel, hmkit.ko, hmctl and initramfs
# built (tools/build.sh FLAVOUR).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: tools/bench-guard.sh FLAVOUR [--update]"
flavour=$1
update=0
case "${2:-}" in
"") ;;
--update) update=1 ;;
*) die "usage: tools/bench-guard.sh FLAVOUR [--update]" ;;
esac
margin=${MARGIN:-10}
baseline=$HMKIT_ROOT/qemu/bench-baseline/$flavour.json
hmctl=$HMKIT_BUILD/hmctl
[ -x "$hmctl" ] || die "$hmctl is missing: run tools/build.sh $flavour"
if [ $update = 0 ] && [ ! -f "$baseline" ]; then
	die "no baseline for flavour $flavour ($baseline): record one with 'make bench-baseline' and commit it"
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/hmkit-guard.XXXXXX")
trap 'rm -rf "$out"' EXIT
log "flavour $flavour: instructions per op under --icount on 1 CPU, 3 runs of each mechanism (about 15 s)"
if ! "$HMKIT_ROOT/qemu/run.sh" --flavour "$flavour" --no-build --icount --smp 1 --timeout 900 --out "$out" -- \
	hmctl bench --guard --runs 3 --json-out /out/guard.json >"$out/run.log" 2>&1; then
	cat "$out/run.log" >&2
	die "the guard's VM run failed (flavour $flavour): see above"
fi
[ -f "$out/guard.json" ] || die "the guard's VM run wrote no report (flavour $flavour)"

if [ $update = 1 ]; then
	mkdir -p "$(dirname "$baseline")"
	cp "$out/guard.json" "$baseline"
	sed -n '/^Linux /,/^$/p' "$out/run.log"
	log "baseline written: $baseline (commit it)"
	exit 0
fi
"$hmctl" bench-check "$baseline" "$out/guard.json" --margin "$margin"
