#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hmkit's files are root-only and its messages carry no kernel addresses.
. "$(dirname "$0")/ktap.sh"
hmkit_require_vm
hmkit_load

ktap_print_header
ktap_set_plan 4

D=$HMKIT_DEBUGFS
bad=$(cd $D && stat -c '%n %a %u' * | awk '$2 !~ /^[246]00$/ || $3 != 0')
if [ -z "$bad" ]; then ktap_test_pass files_root_only_modes; else hmkit_fail files_root_only_modes "$bad"; fi

# An unprivileged user can neither read nor write them.
mkdir -p /etc
grep -q '^nobody:' /etc/passwd 2>/dev/null || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
grep -q '^nogroup:' /etc/group 2>/dev/null || echo 'nogroup:x:65534:' >>/etc/group
as_nobody() { su -s /bin/sh nobody -c "$1" </dev/null >/dev/null 2>&1; }
if as_nobody 'id -u | grep -qx 65534'; then
	leaks=""
	for f in version layout pkmap pool control kmaps; do as_nobody "cat $D/$f" && leaks="$leaks read:$f"; done
	for f in control stress selftest kmaps; do as_nobody "echo run >$D/$f" && leaks="$leaks write:$f"; done
	if [ -z "$leaks" ]; then ktap_test_pass unprivileged_user_locked_out; else hmkit_fail unprivileged_user_locked_out "$leaks"; fi
else
	hmkit_skip unprivileged_user_locked_out "cannot run as nobody (su or CONFIG_MULTIUSER missing)"
fi

# No file takes an address or a pfn: every number a command takes is a
# handle, a count or a size. A pfn-looking handle is just unknown.
pfn=$(awk '/^ *[0-9]+ 0x/ { print $3; exit }' $D/pkmap)
r=$(printf 'kmap %s\n' "${pfn:-123456}" | hmctl write control 2>/dev/null)
if [ "$r" = ENOENT ]; then ktap_test_pass no_pfn_from_userspace; else hmkit_fail no_pfn_from_userspace "kmap of a pfn gave $r"; fi

addr=$(dmesg | grep -i hmkit | grep -E '0x[89a-f][0-9a-f]{7}')
if [ -z "$addr" ]; then ktap_test_pass no_addresses_in_kernel_log; else hmkit_fail no_addresses_in_kernel_log "$addr"; fi

hmkit_finished
