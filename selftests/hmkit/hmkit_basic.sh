#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hmkit's foundation: the module loads and unloads cleanly on a 32-bit (i386 or ARMv7)
# HIGHMEM kernel with both CPUs online, and its Rust runs correctly there.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm

ktap_print_header
ktap_set_plan 11

dmesg_start=$(dmesg | wc -l)

hmkit_check module_loaded hmkit_load
hmkit_check debugfs_dir_exists test -d $HMKIT_DEBUGFS

ver=$(cat $HMKIT_DEBUGFS/version 2>&1)
want="kernel: $(uname -r)"
if echo "$ver" | grep -qxF "$want"; then ktap_test_pass version_kernel_release; else hmkit_fail version_kernel_release "want '$want' in: $ver"; fi

# 64-bit division in Rust goes through the kernel patch's __udivdi3 & co.
# (with regparm on both sides); a wrong convention gives garbage here.
if echo "$ver" | grep -qxF 'u64_divide: 18446744073709551615 / 7 = 2635249153387078802 rem 1' &&
	echo "$ver" | grep -qxF 'i64_divide: -9223372036854775807 / 10 = -922337203685477580 rem -7'; then
	ktap_test_pass rust_64bit_division
else
	hmkit_fail rust_64bit_division "$(echo "$ver" | grep divide | tr '\n' ' ')"
fi

high=$(awk '/^HighTotal:/ { print $2 }' /proc/meminfo)
if hmkit_no_highmem; then hmkit_skip hightotal_nonzero "$HMKIT_NO_HIGHMEM"; elif [ "${high:-0}" -gt 0 ]; then ktap_test_pass hightotal_nonzero; else hmkit_fail hightotal_nonzero "HighTotal: ${high:-missing} kB"; fi

online=$(cat /sys/devices/system/cpu/online)
present=$(cat /sys/devices/system/cpu/present)
if [ "$present" = 0 ]; then
	hmkit_skip all_cpus_online "one CPU present: boot with -smp 2 or more"
elif [ "$online" = "$present" ] && [ "$(grep -c '^processor' /proc/cpuinfo)" -ge 2 ]; then
	ktap_test_pass all_cpus_online
else
	hmkit_fail all_cpus_online "online '$online', present '$present'"
fi

modes=$(cd $HMKIT_DEBUGFS && stat -c '%n=%a' * | sort | tr '\n' ' ')
want="bench=600 census=400 control=600 kmaps=600 layout=400 pkmap=400 pool=400 selftest=600 stats=400 stress=600 version=400 zones=400 "
if [ "$modes" = "$want" ]; then ktap_test_pass debugfs_files_root_only; else hmkit_fail debugfs_files_root_only "modes '$modes', want '$want'"; fi

hmkit_check hmctl_report hmctl report

hmkit_check rmmod_clean rmmod hmkit
if [ -e $HMKIT_DEBUGFS ]; then hmkit_fail debugfs_gone_after_rmmod; else ktap_test_pass debugfs_gone_after_rmmod; fi

# Back to loaded, as the runner left it; then nothing bad in the log.
hmkit_load
bad=$(dmesg | tail -n +"$((dmesg_start + 1))" | grep -E "$HMKIT_BAD_RE")
if [ -z "$bad" ] && [ -f $HMKIT_DEBUGFS/version ]; then ktap_test_pass reload_no_splat; else hmkit_fail reload_no_splat "$bad"; fi

hmkit_finished
