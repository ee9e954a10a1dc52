#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot hmkit's test kernel under QEMU, load hmkit.ko, run a command in the
# guest and exit with its status. The flavour's architecture picks the
# machine: qemu-system-i386 -machine pc for the i386 flavours,
# qemu-system-arm -M virt -cpu cortex-a15 for the ARM ones (--arm is
# --flavour arm).
#
#   qemu/run.sh [--pae | --arm | --flavour F] [--smp N] [--mem SIZE] [--timeout S]
#               [--out DIR] [--no-load] [--no-build] [--verbose] [--icount]
#               [--trace-code START+SIZE] [--append KERNEL-ARGS]
#               [--rootfs debian [--disk SIZE]] [-- COMMAND...]
#
# COMMAND runs under the guest's /bin/sh (busybox) in /hmkit, the project
# folder shared read-only; /out is a writable host folder (--out, default a
# fresh temporary one) for results. Without COMMAND: `hmctl report`.
# --rootfs debian runs COMMAND in a Debian 12 userland instead (i386, or
# armhf for the ARM flavours; bash,
# coreutils, stress-ng, fio...: qemu/rootfs/debian.packages), on the same
# kernel: the initramfs loads hmkit.ko as always, mounts the ext4 image that
# qemu/mkrootfs.sh builds (/dev/vda) with /proc, /sys, debugfs, /dev, /hmkit,
# /out and /selftests inside, puts hmctl and page-types in its
# /usr/local/bin, and runs COMMAND chrooted there (with /bin/sh, Debian's
# dash). Writes to / go to a throwaway overlay: the cached image never
# changes. --disk SIZE (e.g. 512M, 4G) adds a scratch disk (/dev/vdb, a
# sparse file removed afterwards), formatted ext4 and mounted at /data.
# The guest sees hmkit.rootfs=debian (and hmkit.disk=1) on its command line.
# The run fails, showing the lines, when the console shows a WARNING, BUG,
# Oops, lockdep report, hung task or kmemleak report; a guest that does not
# finish within the timeout is killed. The boot log is shown with --verbose
# (and always kept in OUT/console.log, the guest's dmesg in OUT/dmesg.txt).
# --append adds kernel command-line arguments (e.g. kunit.enable=1).
# --icount counts instructions instead of running on the host's clock
# (QEMU's -icount shift=0,sleep=off): every guest instruction advances the
# guest's clocks by exactly 1 ns, so a guest time difference in ns is the
# number of instructions run, about the same from run to run (the spread is
# in README.md), whatever the host is doing. The guest sees hmkit_clock=icount
# on its command line (hmctl bench labels its figures with it).
# --trace-code logs every translated block and every block run whose code
# lies in that guest range (QEMU's -d in_asm,exec,nochain -dfilter) to
# OUT/qemu-code.log, for tools/profile.sh; it slows the guest down a lot.
set -euo pipefail
. "$(dirname "$0")/../tools/lib.sh"

usage() { sed -n '3,37p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

flavour=plain smp=2 mem=3G timeout=600 out="" load=1 build=1 verbose=0 extra="" icount=0 trace="" rootfs="" disk=""
while [ $# -gt 0 ]; do
	case "$1" in
	--pae) flavour=pae ;;
	--arm) flavour=arm ;;
	--flavour) flavour=${2:?--flavour needs a value}; shift ;;
	--smp) smp=${2:?--smp needs a value}; shift ;;
	--mem) mem=${2:?--mem needs a value}; shift ;;
	--timeout) timeout=${2:?--timeout needs a value}; shift ;;
	--out) out=${2:?--out needs a value}; shift ;;
	--no-load) load=0 ;;
	--no-build) build=0 ;;
	--verbose) verbose=1 ;;
	--icount) icount=1 ;;
	--trace-code) trace=${2:?--trace-code needs START+SIZE}; shift ;;
	--append) extra="$extra ${2:?--append needs kernel arguments}"; shift ;;
	--rootfs) rootfs=${2:?--rootfs needs a name (debian)}; shift ;;
	--disk) disk=${2:?--disk needs a size}; shift ;;
	-h | --help) usage 0 ;;
	--) shift; break ;;
	*) echo "run.sh: unknown option '$1'" >&2; usage ;;
	esac
	shift
done
[[ $smp =~ ^[1-8]$ ]] || die "--smp takes 1 to 8 (CONFIG_NR_CPUS=8)"
[[ $timeout =~ ^[0-9]+$ ]] || die "--timeout takes seconds"
[ -z "$trace" ] || [[ $trace =~ ^0x[0-9a-f]+\+0x[0-9a-f]+$ ]] || die "--trace-code takes START+SIZE in hex, e.g. 0xf7830000+0x12000"
[ -z "$rootfs" ] || [ "$rootfs" = debian ] || die "--rootfs takes 'debian' (the root qemu/mkrootfs.sh builds)"
arch=$(flavour_arch "$flavour")
[ -z "$disk" ] || [ -n "$rootfs" ] || die "--disk needs --rootfs debian (the scratch disk is formatted with Debian's mkfs.ext4)"
[ -z "$disk" ] || [[ $disk =~ ^[1-9][0-9]*[MGT]$ ]] || die "--disk takes a size in M, G or T, e.g. 512M or 4G"
[ $# -gt 0 ] || set -- hmctl report

# Kernel lines (timestamped) that mean something went wrong, and init's own
# kmemleak report. The messages are the ERE alternatives listed in
# selftests/hmkit/bad-log-patterns, which the guest's tests use for dmesg.
patterns_file=$HMKIT_ROOT/selftests/hmkit/bad-log-patterns
[ -f "$patterns_file" ] || die "$patterns_file is missing: restore it from git"
patterns=$(awk '!/^#/ && NF { printf "%s%s", s, $0; s = "|" }' "$patterns_file")
[ -n "$patterns" ] || die "no patterns in $patterns_file"
bad_re="^(.*\[ *[0-9]+\.[0-9]+\] .*($patterns)|kmemleak: suspected memory leaks)"

[ $build = 0 ] || "$HMKIT_ROOT/tools/build.sh" "$flavour" >&2
kdir=$(kernel_dir "$flavour")
initrd=$HMKIT_BUILD/$flavour/initramfs.cpio
[ -f "$initrd" ] || die "$initrd missing: run tools/build.sh $flavour (or drop --no-build)"
rootimg=""
if [ -n "$rootfs" ]; then
	if [ $build = 1 ]; then
		rootimg=$("$HMKIT_ROOT/qemu/mkrootfs.sh" --flavour "$flavour" "$rootfs")
	else
		rootimg=$("$HMKIT_ROOT/qemu/mkrootfs.sh" --flavour "$flavour" --path "$rootfs")
		[ -f "$rootimg" ] || die "$rootimg missing: build it with qemu/mkrootfs.sh --flavour $flavour $rootfs (or drop --no-build)"
	fi
fi

# What to remove at the end: a temporary output folder, and the scratch
# disk with QEMU's overlay of the root image (in "$work").
tmp_out="" work=""
cleanup() {
	[ -z "$tmp_out" ] || rm -rf "$tmp_out"
	[ -z "$work" ] || rm -rf "$work"
}
trap cleanup EXIT
if [ -z "$out" ]; then
	out=$(mktemp -d "${TMPDIR:-/tmp}/hmkit-run.XXXXXX")
	tmp_out=$out
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/dmesg.txt"
# The command, each word quoted for the guest's sh.
{
	printf '#!/bin/sh\n'
	for a in "$@"; do printf "'%s' " "${a//\'/\'\\\'\'}"; done
	printf '\n'
} >"$out/cmd.sh"

# tsc=reliable: under TCG the TSC follows the host's clock, but a busy host
# delays the vCPUs enough for the clocksource watchdog to call it unstable
# and fall back to jiffies (4 ms resolution: benchmark samples of 0 ns).
common_append="loglevel=5 panic=-1 panic_on_warn=1 oops=panic softlockup_panic=1 rdinit=/init"
case $arch in
i386)
	qemu=qemu-system-i386
	cpu=qemu32
	case "$flavour" in *pae*) cpu=qemu32,+pae,+nx ;; esac
	machine=(-machine pc -cpu "$cpu")
	append="console=ttyS0 acpi=noirq $common_append tsc=reliable"
	;;
arm)
	# QEMU's virt board with an ARMv7 CPU that has LPAE. highmem=off keeps
	# every device and all RAM (at most 3 GiB, from 1 GiB up) below 4 GiB,
	# where the 2-level format reaches.
	qemu=qemu-system-arm
	machine=(-machine virt,highmem=off -cpu cortex-a15)
	append="console=ttyAMA0 $common_append"
	;;
esac
[ $load = 1 ] || append="$append hmkit.noload"
append="$append$extra"
# One instruction = 2^0 ns of virtual time; sleep=off: when every vCPU is
# idle the clock jumps to the next timer instead of waiting for the host.
accel=()
if [ $icount = 1 ]; then
	accel=(-icount shift=0,sleep=off)
	append="$append hmkit_clock=icount"
fi
[ -z "$trace" ] || accel+=(-d in_asm,exec,nochain -dfilter "$trace" -D "$out/qemu-code.log")
# The root image read-only under a throwaway overlay (snapshot=on, which
# QEMU keeps in $TMPDIR: the run's own folder), then the scratch disk.
drives=() qemu_env=()
if [ -n "$rootimg" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/hmkit-vm.XXXXXX")
	qemu_env=(env "TMPDIR=$work")
	drives=(-drive "file=${rootimg//,/,,},if=virtio,format=raw,snapshot=on")
	append="$append hmkit.rootfs=$rootfs"
	if [ -n "$disk" ]; then
		truncate -s "$disk" "$work/scratch.raw"
		drives+=(-drive "file=${work//,/,,}/scratch.raw,if=virtio,format=raw")
		append="$append hmkit.disk=1"
	fi
fi

log="$out/console.log"
set +e
"${qemu_env[@]}" timeout -k 10 "$timeout" "$qemu" \
	-nodefaults -no-user-config -no-reboot -display none -monitor none \
	"${machine[@]}" -m "$mem" -smp "$smp" "${accel[@]}" \
	-kernel "$kdir/$(kernel_image "$flavour")" -initrd "$initrd" -append "$append" \
	"${drives[@]}" \
	-serial stdio \
	-virtfs "local,path=$HMKIT_ROOT,mount_tag=hmkit,security_model=none,readonly=on" \
	-virtfs "local,path=$out,mount_tag=out,security_model=none" \
	</dev/null 2>&1 | tee "$log" |
	awk -v v=$verbose '/^<<<hmkit-init>>>/ { v = 1; next } /^<<<hmkit-exit/ { next } v { print; fflush() }'
qemu_rc=${PIPESTATUS[0]}
set -e

badness=$(grep -aE "$bad_re" "$log" || true)
status=$(sed -n 's/^<<<hmkit-exit \([0-9]*\)>>>.*/\1/p' "$log" | tail -n1)

if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
	echo "run.sh: the guest did not finish within ${timeout}s and was killed (raise --timeout if it is just slow)" >&2
	status=${status:-124}
fi
if [ -n "$badness" ]; then
	echo "run.sh: the kernel reported problems:" >&2
	echo "$badness" | head -n 40 >&2
	[ -z "$status" ] || [ "$status" != 0 ] || status=1
fi
if [ -z "$status" ]; then
	[ $verbose = 1 ] || grep -q '^<<<hmkit-init>>>' "$log" || tail -n 40 "$log" >&2
	echo "run.sh: the guest ended without reporting an exit status (kernel panic or crash? the console is above)" >&2
	exit 1
fi
[ "$status" = 0 ] || [ -z "$badness" ] || echo "run.sh: failing (exit $status)" >&2
exit "$status"
