# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers for hmkit's scripts. Source it; do not run it.
# shellcheck shell=bash

HMKIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HMKIT_CACHE=${HMKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hmkit}
HMKIT_BUILD=${HMKIT_BUILD:-$HMKIT_ROOT/build}

# The toolchain that builds the kernel, the module and hmctl. The rustup
# toolchain first in PATH has no rust-src for the kernel's target, so the
# kernel side always uses Debian's rustc, with its matching library sources.
HMKIT_RUSTC=/usr/bin/rustc
HMKIT_CARGO=/usr/bin/cargo
HMKIT_BINDGEN=$HMKIT_CACHE/tools/bin/bindgen
HMKIT_BINDGEN_VERSION=0.69.5

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'hmkit: warning: %s\n' "$*" >&2; }
die() { printf 'hmkit: error: %s\n' "$*" >&2; exit 1; }

# The library sources matching Debian's rustc, e.g. /usr/src/rustc-1.96.0/library.
rust_lib_src() {
	local v
	v=$("$HMKIT_RUSTC" --version | awk '{print $2}')
	[ -d "/usr/src/rustc-$v/library" ] ||
		die "no /usr/src/rustc-$v/library: install rust-web-src matching rustc-web $v (run tools/setup.sh)"
	echo "/usr/src/rustc-$v/library"
}

# Flavours are defined in qemu/config/flavours: "name fragment...".
flavour_fragments() {
	local f=$1 line
	line=$(awk -v f="$f" '$1 == f { $1 = ""; print }' "$HMKIT_ROOT/qemu/config/flavours")
	[ -n "$line" ] || die "unknown kernel flavour '$f' (see qemu/config/flavours)"
	echo $line
}

all_flavours() {
	awk '!/^#/ && NF { print $1 }' "$HMKIT_ROOT/qemu/config/flavours"
}

# The flavours `make test` runs: those with the debug checkers.
test_flavours() {
	awk '!/^#/ && NF && / debug\.config/ { print $1 }' "$HMKIT_ROOT/qemu/config/flavours"
}

# Where the built kernel of a flavour is (a stable link to its keyed build).
kernel_dir() { echo "$HMKIT_CACHE/kernels/$1"; }

# Root or sudo, for apt.
as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}
