#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What `hmctl matrix` compares across kernels, saved as JSON into DIR:
# layout, zones, census, what-if and explain, and the kernel's own split
# options. With a workload, also its report (hmctl workload; needs the
# Debian root with a scratch disk). Not a test: tools/test.sh runs it
# before the suite, on the idle machine.
#
#   capture.sh DIR [WORKLOAD MIB SECONDS]
dir=${1:?usage: capture.sh DIR [WORKLOAD MIB SECONDS]}
mkdir -p "$dir" || exit 1
rc=0
for what in layout zones census whatif explain; do
	if hmctl "$what" --json >"$dir/$what.json.tmp"; then
		mv "$dir/$what.json.tmp" "$dir/$what.json"
	else
		echo "capture.sh: hmctl $what --json failed" >&2
		rc=1
	fi
done
zcat /proc/config.gz 2>/dev/null | grep -E '^CONFIG_(VMSPLIT_|PAGE_OFFSET=|HIGHMEM|X86_PAE=|ARM_LPAE=)' >"$dir/config.txt"
if [ -n "$2" ]; then
	hmctl workload "$2" --mib "${3:?MIB}" --seconds "${4:?SECONDS}" --out "$dir" >/dev/null || {
		echo "capture.sh: hmctl workload $2 failed" >&2
		rc=1
	}
fi
exit $rc
