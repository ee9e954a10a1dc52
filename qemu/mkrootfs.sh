#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the root filesystem that `qemu/run.sh --rootfs debian` runs commands
# in: Debian 12 (bookworm), debootstrap's minbase plus the packages listed
# in qemu/rootfs/debian.packages (stress-ng, fio, e2fsprogs...), as an ext4
# image made without mounting anything (mke2fs -d); i386, or its armhf twin
# for the ARM flavours.
#
#   qemu/mkrootfs.sh [OPTIONS] [debian]   build it unless cached; print its path
#     --arch i386|armhf    the Debian architecture (i386 by default)
#     --flavour F          the architecture of kernel flavour F
#     --path               print the path it has, built or not
#     --rebuild            build it again (Debian's point releases)
#
# armhf is installed by running its own binaries: through qemu-arm-static
# (qemu-user-static, which tools/setup.sh installs) and the kernel's
# binfmt_misc, which this script mounts and registers qemu-arm with (from
# Debian's /usr/lib/binfmt.d/qemu-arm.conf) when it is not there yet.
#
# The image is cached in ~/.cache/hmkit/rootfs/ under a name that hashes the
# package list, the suite, the architecture and this script: when one of them
# changes, the next call builds a new image and removes the old one; else the
# cached image is reused. Only the image's path goes to stdout; progress goes
# to stderr and debootstrap's output to a log beside the image.
#
# Needs root or sudo (debootstrap, chroot) and deb.debian.org; set
# HMKIT_DEBIAN_MIRROR to use another Debian mirror.
set -euo pipefail
. "$(dirname "$0")/../tools/lib.sh"

usage() { sed -n '3,27p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

mode=build name=debian arch=i386
while [ $# -gt 0 ]; do
	case "$1" in
	--arch) arch=${2:?--arch needs i386 or armhf}; shift ;;
	--flavour) arch=$(debian_arch "$(flavour_arch "${2:?--flavour needs a flavour}")"); shift ;;
	--path) mode=path ;;
	--rebuild) mode=rebuild ;;
	-h | --help) usage 0 ;;
	-*) echo "mkrootfs.sh: unknown option '$1'" >&2; usage ;;
	*) name=$1 ;;
	esac
	shift
done
[ "$name" = debian ] || die "unknown root filesystem '$name' (there is only 'debian')"
case $arch in i386 | armhf) ;; *) die "unknown architecture '$arch' (i386 or armhf)" ;; esac

suite=bookworm
mirror=${HMKIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
list=$HMKIT_ROOT/qemu/rootfs/$name.packages
# Room left free on the image for what commands write to / (the guest
# writes to a throwaway overlay; the image itself never changes).
room_mib=256

[ -f "$list" ] || die "$list is missing: restore it from git (git checkout qemu/rootfs/)"
mapfile -t pkgs < <(awk '{ sub(/#.*/, "") } NF { print $1 }' "$list")
for p in "${pkgs[@]}"; do
	[[ $p =~ ^[a-z0-9][a-z0-9+.-]+$ ]] || die "$list: '$p' is not a Debian package name"
done

key=$({
	echo "$suite $arch"
	printf '%s\n' "${pkgs[@]}"
	cat "$0"
} | sha256sum | cut -c1-12)
dir=$HMKIT_CACHE/rootfs
img=$dir/$name-$suite-$arch-$key.ext4
if [ $mode = path ]; then
	echo "$img"
	exit 0
fi
if [ $mode = build ] && [ -f "$img" ]; then
	log "root filesystem $name: up to date ($img)"
	echo "$img"
	exit 0
fi

for t in debootstrap mke2fs e2fsck chroot flock; do
	command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || die "$t is missing: run tools/setup.sh (it installs debootstrap and e2fsprogs)"
done
export PATH=$PATH:/usr/sbin:/sbin

# armhf binaries run on this machine through qemu-arm-static, which the
# kernel starts for them once binfmt_misc knows it. The F flag of Debian's
# entry opens the interpreter now, so that it works inside the chroot too.
arm_binfmt() {
	local bm=/proc/sys/fs/binfmt_misc conf=/usr/lib/binfmt.d/qemu-arm.conf
	[ -f "$conf" ] || die "$conf is missing: install qemu-user-static (tools/setup.sh does), which runs armhf's binaries while debootstrap installs them"
	if [ ! -e "$bm/register" ]; then
		log "mounting binfmt_misc on $bm (to run armhf binaries through qemu-arm-static)"
		as_root mount -t binfmt_misc binfmt_misc "$bm" ||
			die "cannot mount binfmt_misc on $bm: building the armhf root needs it (run this on a machine or container that may mount it, e.g. docker run --privileged)"
	fi
	if [ ! -e "$bm/qemu-arm" ]; then
		log "registering qemu-arm with binfmt_misc ($conf)"
		grep -v '^#' "$conf" | as_root tee "$bm/register" >/dev/null ||
			die "cannot register qemu-arm with binfmt_misc ($conf): building the armhf root needs it"
	fi
	grep -qx enabled "$bm/qemu-arm" || die "$bm/qemu-arm is disabled: enable it (echo 1 | tee $bm/qemu-arm)"
	# Without F the kernel looks the interpreter up inside the chroot, where it is not.
	grep -q '^flags:.*F' "$bm/qemu-arm" ||
		die "$bm/qemu-arm was registered without the F flag (another package's entry?): remove it (echo -1 | tee $bm/qemu-arm) and run this again to register Debian's qemu-user-static one"
}
[ "$arch" = i386 ] || arm_binfmt

mkdir -p "$dir"
# One build at a time; a second caller waits, then finds the image built.
exec 9>"$dir/.lock"
if ! flock -n 9; then
	log "another build of the $name root filesystem is running; waiting for it"
	flock 9
fi
if [ $mode = build ] && [ -f "$img" ]; then
	echo "$img"
	exit 0
fi

work=
cleanup() {
	[ -n "$work" ] || return 0
	# debootstrap mounts /proc and /sys in the tree while it installs; a
	# build that was interrupted can leave them there. Never recurse into them.
	awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do as_root umount -l "$m" || true; done
	as_root rm -rf --one-file-system "$work"
}
trap cleanup EXIT
work=$(mktemp -d "$dir/build.XXXXXX")
root=$work/root
buildlog=$dir/$name-$arch-build.log
: >"$buildlog"

start=$SECONDS
eta="1 to 3 minutes"
[ "$arch" = i386 ] || eta="about 10 minutes: armhf's package scripts run emulated"
log "building the $name root filesystem: Debian $suite $arch minbase + ${#pkgs[@]} packages from $mirror ($eta; log: $buildlog)"
inc=$(IFS=,; echo "${pkgs[*]}")
if ! as_root debootstrap --variant=minbase --arch="$arch" --include="$inc" \
	"$suite" "$root" "$mirror" >>"$buildlog" 2>&1; then
	tail -n 20 "$buildlog" >&2
	die "debootstrap failed (the end of $buildlog is above): check that $mirror is reachable (or set HMKIT_DEBIAN_MIRROR) and that every name in $list is a Debian $suite package, then run qemu/mkrootfs.sh again"
fi
# debootstrap resolves --include itself: check that each one made it.
missing=()
for p in "${pkgs[@]}"; do
	s=$(as_root chroot "$root" dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] || die "debootstrap did not install: ${missing[*]} (see $buildlog)"

log "configuring and cleaning the tree"
# Run "$@" as root, its output to the build log; stop on failure.
step() { as_root "$@" >>"$buildlog" 2>&1 || die "'$*' failed (see $buildlog)"; }
echo '# / is /dev/vda, mounted by the initramfs of qemu/run.sh; nothing is mounted from here.' |
	step tee "$root/etc/fstab"
# Mount points: the project folder, the output folder, the selftests
# (bind-mounted from the initramfs) and the scratch disk (--disk); and
# where the initramfs puts hmkit.ko for the selftests.
step mkdir -p "$root/hmkit" "$root/out" "$root/selftests" "$root/data" "$root/lib/modules"
# Downloaded packages, package lists and logs are of no use in the guest.
step chroot "$root" apt-get clean
step find "$root/var/lib/apt/lists" "$root/var/cache/apt" "$root/var/log" -mindepth 1 -type f -delete

used=$(as_root du -s --block-size=1M "$root" | cut -f1)
size=$((used + used / 10 + room_mib))
log "making the ext4 image (${used} MiB of files, image ${size} MiB)"
tmpimg=$work/image.ext4
as_root mke2fs -q -F -t ext4 -L hmkit-root -d "$root" "$tmpimg" "${size}M" >>"$buildlog" 2>&1 ||
	die "mke2fs -d failed (see $buildlog)"
as_root e2fsck -fn "$tmpimg" >>"$buildlog" 2>&1 || die "the new image does not pass e2fsck -fn (see $buildlog)"
as_root chown "$(id -u):$(id -g)" "$tmpimg"
mv -f "$tmpimg" "$img"
for old in "$dir/$name"-*-"$arch"-*.ext4; do
	[ "$old" = "$img" ] || [ ! -e "$old" ] || { log "removing the outdated $(basename "$old")"; rm -f "$old"; }
done
cleanup
work=
log "root filesystem $name: $img (${size} MiB, $(($(du -k "$img" | cut -f1) / 1024)) MiB on disk; built in $((SECONDS - start)) s)"
echo "$img"
