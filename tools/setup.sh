#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what hmkit needs on a Debian 12 machine: Debian's packages (kernel
# source, rustc/rust-src pair, clang, QEMU, i386 libc), bindgen-cli, and a
# static i386 busybox. Does nothing for what is already there.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKGS=(linux-source-6.12 rustc-web rust-web-src cargo-web libclang-dev
	flex bison bc libelf-dev libssl-dev cpio make xz-utils gcc gcc-multilib
	qemu-system-x86 python3 ca-certificates)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing Debian packages: ${missing[*]}"
	as_root apt-get update -q || warn "apt-get update reported errors; trying to install anyway"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" ||
		die "apt-get install failed: check the apt sources (Debian 12 bookworm with bookworm-backports/updates for rustc-web)"
fi

# rustc and its library sources must be the same build.
rv=$(dpkg-query -W -f='${Version}' rustc-web)
sv=$(dpkg-query -W -f='${Version}' rust-web-src)
[ "$rv" = "$sv" ] || die "rustc-web $rv and rust-web-src $sv differ: install matching versions"
"$HMKIT_RUSTC" --version | awk '{split($2, v, "."); exit !(v[1] > 1 || v[2] >= 91)}' ||
	die "$("$HMKIT_RUSTC" --version) is too old: i386 needs rustc >= 1.91 (regparm for memcpy/memset)"
rust_lib_src >/dev/null

if ! { [ -x "$HMKIT_BINDGEN" ] && "$HMKIT_BINDGEN" --version | grep -q " $HMKIT_BINDGEN_VERSION\$"; }; then
	log "building bindgen-cli $HMKIT_BINDGEN_VERSION (about a minute)"
	cargo=$(command -v cargo || echo "$HMKIT_CARGO")
	"$cargo" install -q bindgen-cli --version "$HMKIT_BINDGEN_VERSION" --locked --root "$HMKIT_CACHE/tools" ||
		die "cargo install bindgen-cli failed: is crates.io reachable?"
fi

# A static i386 busybox for the guest, taken from Debian's busybox-static:i386.
bb=$HMKIT_CACHE/busybox/busybox
if [ ! -x "$bb" ]; then
	log "fetching busybox-static:i386"
	if ! dpkg --print-foreign-architectures | grep -qx i386; then
		as_root dpkg --add-architecture i386
	fi
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	if ! (cd "$tmp" && apt-get download -q busybox-static:i386 >/dev/null 2>&1); then
		# The i386 index is new: fetch it. Some mirrors' i386 security index is
		# briefly out of sync; that does not matter for busybox from main.
		as_root apt-get update -q || warn "apt-get update reported errors; trying the download anyway"
		(cd "$tmp" && apt-get download -q busybox-static:i386) ||
			die "could not download busybox-static:i386: check that apt reaches Debian's i386 packages"
	fi
	dpkg-deb -x "$tmp"/busybox-static_*_i386.deb "$tmp/x"
	file=$tmp/x/bin/busybox
	[ -x "$file" ] || die "busybox-static:i386 has no bin/busybox"
	mkdir -p "$(dirname "$bb")"
	cp "$file" "$bb.tmp" && mv "$bb.tmp" "$bb"
fi
log "dependencies ok"
