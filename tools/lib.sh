# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers for hmkit's scripts. Source it; do not run it.
# shellcheck shell=bash
# shellcheck disable=SC2034 # the settings are used by the scripts that source this

HMKIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HMKIT_CACHE=${HMKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hmkit}
HMKIT_BUILD=${HMKIT_BUILD:-$HMKIT_ROOT/build}

# The toolchain that builds the kernel, the module and hmctl. The rustup
# toolchain first in PATH has no rust-src for the kernel's target, so the
# kernel side always uses Debian's rustc, with its matching library sources.
HMKIT_RUSTC=/usr/bin/rustc
HMKIT_CARGO=/usr/bin/cargo
HMKIT_BINDGEN=$HMKIT_CACHE/tools/bin/bindgen

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'hmkit: warning: %s\n' "$*" >&2; }
die() { printf 'hmkit: error: %s\n' "$*" >&2; exit 1; }

# The pinned toolchain versions ("package version" lines; see the file).
HMKIT_VERSIONS=${HMKIT_VERSIONS:-$HMKIT_ROOT/tools/versions}

# The version tools/versions pins for package $1, or nothing.
pinned_version() {
	[ -f "$HMKIT_VERSIONS" ] || die "$HMKIT_VERSIONS is missing: restore it from git (git checkout tools/versions)"
	awk -v p="$1" '!/^[[:space:]]*#/ && $1 == p { print $2; exit }' "$HMKIT_VERSIONS"
}

HMKIT_BINDGEN_VERSION=$(pinned_version bindgen-cli)
[ -n "$HMKIT_BINDGEN_VERSION" ] || die "$HMKIT_VERSIONS has no bindgen-cli line: restore it from git"

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
	# shellcheck disable=SC2086 # one fragment a word
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

# apt-get install ARGS... (packages, or package=version), never removing a
# package: when apt could only install them by removing or downgrading
# something, or cannot resolve them at all, stop and say what is in the way.
apt_install() {
	local out rc removed why
	out=$(mktemp)
	set +e
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-remove --no-install-recommends "$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	set -e
	if [ "$rc" = 0 ]; then
		rm -f "$out"
		return 0
	fi
	# "The following packages will be REMOVED:" is followed by indented names.
	removed=$(awk '/^The following packages will be REMOVED:/ { on = 1; next }
		on && /^  / { print; next } { on = 0 }' "$out" | xargs)
	why=$(awk '/^The following packages have unmet dependencies:/ { on = 1; next }
		on && /^ / { print; next } { on = 0 } /^E: / { print }' "$out")
	rm -f "$out"
	if [ -n "$removed" ]; then
		die "installing $* would remove: $removed.
hmkit never removes packages. Either install them yourself and decide what apt
may remove (apt-get install $*), or keep your packages and build hmkit on
another machine; then run tools/setup.sh again."
	fi
	die "apt-get install $* failed:
$why
Fix the cause above (apt sources: Debian 12 bookworm with bookworm-security/updates
for rustc-web; a held or conflicting package; a running apt), then run tools/setup.sh again."
}
