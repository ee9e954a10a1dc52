#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The benchmark runs and gives sane numbers (a quick run; `make bench`
# measures for real, on the kernel flavour without debug checkers).
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
hmkit_load

ktap_header
ktap_plan 3

out=$(hmctl bench --quick --runs 1 --json --svg /tmp/bench.svg 2>&1)
rows=$(echo "$out" | grep -c '"ns_per_op"')
cpus=$(grep -c '^processor' /proc/cpuinfo)
want=7
[ "$cpus" -gt 1 ] && want=14
if [ "$rows" = $want ]; then ktap_pass bench_every_mechanism_and_thread_count; else ktap_fail bench_every_mechanism_and_thread_count "$rows rows, want $want: $out"; fi
# Every ns_per_op is a positive number.
bad=$(echo "$out" | awk -F': ' '/"ns_per_op"/ { v = $2; sub(/,$/, "", v); if (!(v + 0 > 0)) print v }')
if [ -z "$bad" ] && [ "$rows" -gt 0 ]; then ktap_pass bench_numbers_positive; else ktap_fail bench_numbers_positive "$bad"; fi
if grep -q '<svg' /tmp/bench.svg && grep -q 'pool_miss' /tmp/bench.svg; then ktap_pass bench_chart_written; else ktap_fail bench_chart_written; fi
ktap_finish
