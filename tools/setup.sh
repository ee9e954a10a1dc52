#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what hmkit needs on a Debian 12 machine: Debian's packages (kernel
# source, rustc/rust-src pair, clang, QEMU for i386 and ARM, i386 and armhf
# libc), bindgen-cli, and static i386 and armhf busyboxes, in the versions
# pinned in tools/versions.
#
# ARM is built without a GCC cross compiler (gcc-arm-linux-gnueabihf
# conflicts with gcc-multilib, which i386 needs): the kernel with LLVM=-14
# (clang-14, lld-14, llvm-14), user space with clang-14 and lld against
# libc6-dev-armhf-cross and libgcc-12-dev-armhf-cross. qemu-user-static
# runs armhf's package scripts while qemu/mkrootfs.sh builds the armhf
# Debian root. None of these removes a package.
#
#   tools/setup.sh                install what is missing
#   tools/setup.sh --write-pins   write the installed versions into tools/versions
#
# HMKIT_VERSIONS=FILE reads the pins from FILE instead (e.g. to try a change).
#
# When everything is there it does not touch apt or the network (it runs at
# the start of every build). It never removes or downgrades a package: on a
# conflict it stops and says what is in the way. When apt no longer has a
# pinned version, it uses the one apt has and says so once.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

PKGS=(linux-source-6.12 rustc-web rust-web-src cargo-web libclang-dev
	flex bison bc libelf-dev libssl-dev cpio make xz-utils gcc gcc-multilib
	qemu-system-x86 python3 ca-certificates debootstrap e2fsprogs
	clang-14 lld-14 llvm-14 libc6-dev-armhf-cross libgcc-12-dev-armhf-cross qemu-system-arm
	qemu-user-static)

# The guest architectures, whose static busybox is fetched.
GUEST_ARCHES=(i386 arm)
# Version differences already reported: "package pinned installed" lines.
ACK=$HMKIT_CACHE/pins-reported

# The Debian version of the cached busybox at $1 (recorded when fetched), or nothing.
busybox_version() {
	if [ -f "$1.version" ]; then
		cat "$1.version"
	elif [ -x "$1" ] && [ "$1" = "$(busybox_path i386)" ]; then
		# Fetched before versions were recorded: "BusyBox v1.35.0 (Debian 1:1.35.0-4+b1) ...".
		{ "$1" 2>&1 || true; } | sed -n '1s/.*(Debian \([^)]*\)).*/\1/p'
	fi
}

if [ "${1:-}" = --write-pins ]; then
	tmp=$(mktemp)
	# shellcheck disable=SC2094 # reads the pins, writes $tmp
	while IFS= read -r line; do
		case $line in '' | '#'* | [[:space:]]*) echo "$line"; continue ;; esac
		read -r p old _ <<<"$line"
		case $p in
		bindgen-cli) v=$("$HMKIT_BINDGEN" --version 2>/dev/null | awk '{ print $2 }') ;;
		busybox-static:i386) v=$(busybox_version "$(busybox_path i386)") ;;
		busybox-static:armhf) v=$(busybox_version "$(busybox_path arm)") ;;
		*) v=$(dpkg-query -W -f='${db:Status-Status} ${Version}\n' "$p" 2>/dev/null | awk '$1 == "installed" { print $2 }') ;;
		esac
		[ -n "$v" ] || { rm -f "$tmp"; die "$p is not installed: run tools/setup.sh first"; }
		[ "$v" = "$old" ] || log "$p: $old -> $v"
		printf '%-19s %s\n' "$p" "$v"
	done <"$HMKIT_VERSIONS" >"$tmp"
	cat "$tmp" >"$HMKIT_VERSIONS"
	rm -f "$tmp"
	log "wrote $HMKIT_VERSIONS: run make test, then commit it"
	exit 0
fi
[ $# -eq 0 ] || die "usage: tools/setup.sh [--write-pins]"

declare -A pin=() have=()
while read -r p v; do
	pin[$p]=$v
done < <(awk '!/^[[:space:]]*#/ && NF >= 2 { print $1, $2 }' "$HMKIT_VERSIONS")
while read -r p s v; do
	[ "$s" != installed ] || have[$p]=$v
done < <(dpkg-query -W -f='${Package} ${db:Status-Status} ${Version}\n' "${PKGS[@]}" 2>/dev/null || true)

installed_version() {
	dpkg-query -W -f='${db:Status-Status} ${Version}\n' "$1" 2>/dev/null | awk '$1 == "installed" { print $2; exit }'
}

# Whether the difference "package pinned installed" was already reported.
reported() { [ -f "$ACK" ] && grep -qxF "$1 $2 $3" "$ACK"; }

apt_updated=
apt_update() {
	[ -z "$apt_updated" ] || return 0
	apt_updated=1
	log "updating apt's package lists"
	# Some mirrors' i386 security index is briefly out of sync; the rest still works.
	as_root apt-get update -q || warn "apt-get update reported errors; going on with the lists it got"
}

# Whether apt can install version $2 of package $1.
apt_has() {
	apt-cache madison "$1" 2>/dev/null |
		awk -F'|' -v v="$2" '{ gsub(/ /, "", $2) } $2 == v { f = 1 } END { exit !f }'
}

# The "name=version" of each dependency that version $2 of package $1 needs
# in exactly one version (rustc-web needs its libstd-rust-web-dev), recursively,
# leaving out those installed in that version already.
exact_deps() {
	local d
	apt-cache show "$1=$2" 2>/dev/null | awk '
		/^$/ { exit }
		/^(Pre-)?Depends:/ {
			sub(/^[^:]*: */, "")
			n = split($0, dep, /, */)
			for (i = 1; i <= n; i++)
				if (dep[i] ~ /^[^ |]+ \(= [^)]+\)$/) {
					split(dep[i], w, /[ ()=]+/)
					print w[1], w[2]
				}
		}' | while read -r d v; do
		[ "$(installed_version "$d")" != "$v" ] || continue
		echo "$d=$v"
		exact_deps "$d" "$v"
	done
}

# Packages, or package=version, for apt-get install.
install=()
# Pinned versions not used: "package pinned installed reason".
differs=()
# Pinned packages apt no longer has in the pinned version.
gone=()
for p in "${PKGS[@]}"; do
	want=${pin[$p]:-}
	cur=${have[$p]:-}
	if [ -z "$want" ]; then
		[ -n "$cur" ] || install+=("$p")
		continue
	fi
	[ "$cur" != "$want" ] || continue
	if [ -n "$cur" ] && reported "$p" "$want" "$cur"; then
		continue
	fi
	if [ -n "$cur" ] && dpkg --compare-versions "$cur" gt "$want"; then
		differs+=("$p $want $cur newer")
		continue
	fi
	apt_update
	if apt_has "$p" "$want"; then
		install+=("$p=$want")
		mapfile -t -O "${#install[@]}" install < <(exact_deps "$p" "$want")
	else
		[ -n "$cur" ] || install+=("$p")
		gone+=("$p")
	fi
done
# A machine with QEMU's tools from bookworm-backports (qemu-utils 10) cannot
# take bookworm's qemu-system-x86 or qemu-system-arm 7.2: qemu-utils breaks
# their qemu-system-common, and apt would remove qemu-utils. Take them from
# bookworm-backports then, in qemu-utils' own version (or that of the
# qemu-system-common already there).
qbpo=
for q in qemu-system-common qemu-utils; do
	v=$(installed_version "$q")
	[[ $v != *~bpo12* ]] || { qbpo=$v; break; }
done
for q in qemu-system-x86 qemu-system-arm; do
	[ -z "${have[$q]:-}" ] && [ -n "$qbpo" ] || continue
	src=/etc/apt/sources.list.d/hmkit-bookworm-backports.sources
	if [ ! -f "$src" ]; then
		log "QEMU $qbpo is from bookworm-backports: adding it to apt's sources ($src) for $q"
		printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm-backports' \
			'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
			as_root tee "$src" >/dev/null
		apt_updated=
	fi
	apt_update
	apt_has "$q" "$qbpo" ||
		die "QEMU $qbpo (bookworm-backports) is installed but apt has no $q $qbpo: install a matching $q yourself, then run tools/setup.sh again"
	# Its dependencies (qemu-system-data, seabios...) must come from there too.
	install=("${install[@]/$q/}")
	log "installing $q $qbpo from bookworm-backports"
	apt_install -t bookworm-backports "$q=$qbpo"
done
if [ ${#install[@]} -gt 0 ]; then
	mapfile -t install < <(printf '%s\n' "${install[@]}" | awk 'NF && !seen[$0]++')
	apt_update
	log "installing Debian packages: ${install[*]}"
	apt_install "${install[@]}"
fi
for p in "${gone[@]}"; do
	differs+=("$p ${pin[$p]} $(installed_version "$p") gone")
done

# rustc and its library sources must be the same build.
rv=$(installed_version rustc-web)
sv=$(installed_version rust-web-src)
[ "$rv" = "$sv" ] ||
	die "rustc-web $rv and rust-web-src $sv differ: install one version of both (apt-get install rustc-web=V rust-web-src=V cargo-web=V)"
"$HMKIT_RUSTC" --version | awk '{split($2, v, "."); exit !(v[1] > 1 || v[2] >= 91)}' ||
	die "$("$HMKIT_RUSTC" --version) is too old: i386 needs rustc >= 1.91 (regparm for memcpy/memset)"
rust_lib_src >/dev/null

if ! { [ -x "$HMKIT_BINDGEN" ] && "$HMKIT_BINDGEN" --version | grep -q " $HMKIT_BINDGEN_VERSION\$"; }; then
	log "building bindgen-cli $HMKIT_BINDGEN_VERSION (about a minute)"
	cargo=$(command -v cargo || echo "$HMKIT_CARGO")
	"$cargo" install -q bindgen-cli --version "$HMKIT_BINDGEN_VERSION" --locked --root "$HMKIT_CACHE/tools" ||
		die "cargo install bindgen-cli $HMKIT_BINDGEN_VERSION failed: is crates.io reachable?"
fi

# A static busybox for each guest architecture, taken from Debian's
# busybox-static:i386 and busybox-static:armhf (downloaded and unpacked;
# nothing is installed). apt downloads them once dpkg knows the
# architecture (dpkg --add-architecture), which installs nothing either.
fetch_busybox() {
	local arch=$1 darch bb pkg bbpin bbcur spec deb v
	darch=$(debian_arch "$arch")
	bb=$(busybox_path "$arch")
	pkg=busybox-static:$darch
	bbpin=${pin[$pkg]:-}
	bbcur=$(busybox_version "$bb")
	if [ -x "$bb" ] && { [ -z "$bbpin" ] || [ "$bbcur" = "$bbpin" ] || reported "$pkg" "$bbpin" "$bbcur"; }; then
		return 0
	fi
	if [ "$darch" != "$(dpkg --print-architecture)" ] && ! dpkg --print-foreign-architectures | grep -qx "$darch"; then
		log "adding the $darch architecture to dpkg (for $pkg)"
		as_root dpkg --add-architecture "$darch"
		apt_updated= # the lists read so far have no $darch packages
		apt_update
	fi
	spec=$pkg
	if [ -n "$bbpin" ]; then
		apt_has "$pkg" "$bbpin" || apt_update
		if apt_has "$pkg" "$bbpin"; then
			spec="$pkg=$bbpin"
		elif [ -x "$bb" ]; then
			differs+=("$pkg $bbpin ${bbcur:-unknown} gone")
			return 0 # keep the one we have
		fi
	fi
	log "fetching $spec"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	if ! (cd "$tmp" && apt-get download -q "$spec" >/dev/null 2>&1); then
		apt_update
		(cd "$tmp" && apt-get download -q "$spec") || {
			rm -rf "$tmp"
			die "could not download $spec: check that apt reaches Debian's $darch packages (bookworm main)"
		}
	fi
	deb=$(echo "$tmp"/busybox-static_*_"$darch".deb)
	dpkg-deb -x "$deb" "$tmp/x"
	[ -x "$tmp/x/bin/busybox" ] || { rm -rf "$tmp"; die "$spec has no bin/busybox"; }
	v=$(dpkg-deb -f "$deb" Version)
	mkdir -p "$(dirname "$bb")"
	cp "$tmp/x/bin/busybox" "$bb.tmp" && mv "$bb.tmp" "$bb"
	echo "$v" >"$bb.version"
	rm -rf "$tmp"
	[ -z "$bbpin" ] || [ "$v" = "$bbpin" ] || differs+=("$pkg $bbpin $v gone")
}
for a in "${GUEST_ARCHES[@]}"; do
	fetch_busybox "$a"
done

# Say once which pinned versions are not the ones in use, and what follows.
if [ ${#differs[@]} -gt 0 ]; then
	msg="the installed versions differ from the pins in $HMKIT_VERSIONS:"
	kernel=
	for d in "${differs[@]}"; do
		read -r p want cur why <<<"$d"
		case $why in
		newer) why="installed is newer; setup does not downgrade" ;;
		gone) why="apt no longer has the pinned version" ;;
		esac
		msg+=$'\n'"  $p: pinned $want, in use $cur ($why)"
		case $p in linux-source-6.12 | rustc-web | rust-web-src | bindgen-cli) kernel=1 ;; esac
	done
	if [ -n "$kernel" ]; then
		msg+=$'\n'"qemu/build-kernel.sh keys its kernel cache on these versions, so kernels"
		msg+=$'\n'"cached with the pinned ones are not reused: each flavour is rebuilt once"
		msg+=$'\n'"(8 to 11 minutes each on 2 cores)."
	else
		msg+=$'\n'"The cached kernels do not depend on these; they are not rebuilt."
	fi
	msg+=$'\n'"If make test passes with them, make them the pins: tools/setup.sh --write-pins,"
	msg+=$'\n'"then commit tools/versions. (This is said once per version.)"
	warn "$msg"
	mkdir -p "$(dirname "$ACK")"
	for d in "${differs[@]}"; do
		read -r p want cur _ <<<"$d"
		echo "$p $want $cur" >>"$ACK"
	done
fi
log "dependencies ok"
