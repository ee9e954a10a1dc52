#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hmctl's SVG drawings of the live kernel are well-formed and show every
# region, zone and slot kind.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
hmkit_load

ktap_print_header
ktap_set_plan 2

L=/tmp/layout.svg
hmctl layout --svg $L >/dev/null
set --
for r in $(awk 'f && NF == 4 { print $1 } $1 == "region" { f = 1 }' $HMKIT_DEBUGFS/layout | sort -u); do set -- "$@" --expect "$r"; done
for z in $(awk '$1 == "0" && $4 > 0 { print toupper($2) }' $HMKIT_DEBUGFS/zones); do set -- "$@" --expect "ZONE_$z"; done
# kmap() is drawn from the highmem it maps.
hmkit_no_highmem || set -- "$@" --expect "kmap()"
hmkit_check layout_svg_well_formed_and_complete hmctl svg-check $L "$@" --expect "direct map" \
	--expect "$(hmkit_val layout page_offset)" --expect "hmkit pool window"

P=/tmp/pool.svg
hmkit_ctl alloc 2
id=$(hmkit_last_id)
hmkit_ctl pool-map $id
hmkit_ctl kmap $id
hmctl pool --svg $P >/dev/null
hmkit_check pool_svg_well_formed_and_complete hmctl svg-check $P --expect "hmkit pool: $(hmkit_val pool slots) slots" \
	--expect "kernel pkmap: $(hmkit_val layout last_pkmap) slots" --expect "in use" --expect "awaiting flush"
hmkit_ctl kunmap $id
hmkit_ctl pool-unmap $id
hmkit_finished
