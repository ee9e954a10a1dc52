#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build (or reuse) hmkit's test kernel for one flavour: i386, or 32-bit ARM
# for the flavours with arm.config.
#
#   qemu/build-kernel.sh FLAVOUR        FLAVOUR as in qemu/config/flavours
#
# Debian's linux-source-6.12 is extracted once per patch series (one series
# per architecture: qemu/patches/x86/, qemu/patches/arm/) into
# $HMKIT_CACHE/src/, and each flavour is built with O= into
# $HMKIT_CACHE/kernels/FLAVOUR-KEY, where KEY hashes all that affects the
# result: source package version, patches, config fragments, rustc, bindgen,
# the C compiler (gcc for i386; Debian's clang and lld for ARM) and this
# script. $HMKIT_CACHE/kernels/FLAVOUR links to the current one,
# so a second run with nothing changed reuses it in a second.
set -euo pipefail
. "$(dirname "$0")/../tools/lib.sh"

[ $# -eq 1 ] || die "usage: qemu/build-kernel.sh FLAVOUR (one of: $(all_flavours | xargs))"
flavour=$1
fragments=$(flavour_fragments "$flavour")
arch=$(flavour_arch "$flavour")
srcarch=$(arch_srcarch "$arch")
image=$(kernel_image "$flavour")
# ARM is built with LLVM: Debian's GCC cross compiler for armhf
# (gcc-arm-linux-gnueabihf) conflicts with gcc-multilib, which i386 needs.
# LLVM=-14 is Debian's clang-14, ld.lld-14 and llvm-*-14 (clang 14 is
# libclang 14, which bindgen uses).
toolchain=()
cc_version() { gcc --version | head -n1; }
if [ "$arch" = arm ]; then
	toolchain=(LLVM=-14)
	cc_version() { clang-14 --version | head -n1; ld.lld-14 --version; }
fi

"$HMKIT_ROOT/tools/setup.sh"

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || die "$tarball missing: apt-get install linux-source-6.12"
lib_src=$(rust_lib_src)

patchdir=$HMKIT_ROOT/qemu/patches/$srcarch
# The series in git format-patch form; the cover letter (0000) has no diff.
# Only the diffs count for the cache: a reworded commit message rebuilds
# nothing.
mapfile -t patches < <(ls "$patchdir"/[0-9][0-9][0-9][0-9]-*.patch | grep -v '/0000-')
[ ${#patches[@]} -gt 0 ] || die "no patches in $patchdir"
diffs() { for p in "${patches[@]}"; do sed -n '/^diff --git /,$p' "$p"; done; }
patch_hash=$(diffs | sha256sum | cut -c1-12)
key=$({
	echo "$srcver"
	diffs
	for f in $fragments; do cat "$HMKIT_ROOT/qemu/config/$f"; done
	"$HMKIT_RUSTC" -vV
	"$HMKIT_BINDGEN" --version
	cc_version
	cat "$0"
} | sha256sum | cut -c1-12)

src=$HMKIT_CACHE/src/linux-$srcver-$srcarch-$patch_hash
out=$HMKIT_CACHE/kernels/$flavour-$key
link=$(kernel_dir "$flavour")

if [ -f "$out/.hmkit-built" ]; then
	ln -sfn "$(basename "$out")" "$link"
	log "kernel $flavour: up to date ($out)"
	exit 0
fi

if [ ! -f "$src/.hmkit-ready" ]; then
	log "extracting linux-source $srcver and applying ${#patches[@]} patches"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xf "$tarball" -C "$src.tmp" --strip-components=1
	for p in "${patches[@]}"; do
		patch -d "$src.tmp" -p1 --batch --forward --quiet <"$p" ||
			die "patch $(basename "$p") does not apply to linux-source $srcver: refresh qemu/patches/$srcarch/"
	done
	touch "$src.tmp/.hmkit-ready"
	mv "$src.tmp" "$src"
fi

kmake() {
	make -C "$src" O="$out" ARCH="$arch" "${toolchain[@]}" \
		RUSTC="$HMKIT_RUSTC" HOSTRUSTC="$HMKIT_RUSTC" RUSTDOC="$HMKIT_RUSTDOC" BINDGEN="$HMKIT_BINDGEN" \
		RUST_LIB_SRC="$lib_src" "$@"
}

rm -rf "$out"
mkdir -p "$out"
log "configuring kernel $flavour: tinyconfig + $fragments"
kmake -s tinyconfig >/dev/null
frag_paths=()
for f in $fragments; do frag_paths+=("$HMKIT_ROOT/qemu/config/$f"); done
(cd "$out" && "$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frag_paths[@]}" >/dev/null)
kmake -s olddefconfig >/dev/null

# Kconfig silently drops what it cannot satisfy: check every requested
# option, as the last fragment that names it asks (as merge_config.sh
# merges them: vmsplit-2g.config's "# CONFIG_VMSPLIT_3G is not set"
# overrides base.config's "CONFIG_VMSPLIT_3G=y").
declare -A want=()
order=()
for f in "${frag_paths[@]}"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) opt=${line%%=*} ;;
		"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *} ;;
		*) continue ;;
		esac
		[ -n "${want[$opt]+set}" ] || order+=("$opt")
		want[$opt]=$line
	done <"$f"
done
dropped=()
for opt in "${order[@]}"; do
	line=${want[$opt]}
	case "$line" in
	CONFIG_*)
		grep -qxF "$line" "$out/.config" || dropped+=("$line (have: $(grep -E "^(# )?$opt[= ]" "$out/.config" || echo unset))")
		;;
	*)
		! grep -q "^$opt=" "$out/.config" || dropped+=("$line (have: $(grep "^$opt=" "$out/.config"))")
		;;
	esac
done
if [ ${#dropped[@]} -gt 0 ]; then
	printf 'hmkit: error: Kconfig did not keep these options for flavour %s:\n' "$flavour" >&2
	printf '  %s\n' "${dropped[@]}" >&2
	die "fix the fragments in qemu/config/ (a dependency is missing) and run again"
fi
kmake -s rustavailable >/dev/null || die "the kernel says Rust is not available: run 'make -C $src O=$out rustavailable' to see why"

log "building kernel $flavour with $(nproc) jobs (3-10 minutes cold; log: $out/build.log)"
start=$(date +%s)
if ! kmake -j"$(nproc)" "$(basename "$image")" modules >"$out/build.log" 2>&1; then
	grep -E 'error|Error' "$out/build.log" | head -n 30 >&2 || true
	die "kernel build failed (flavour $flavour): see $out/build.log"
fi
touch "$out/.hmkit-built"
ln -sfn "$(basename "$out")" "$link"
log "kernel $flavour built in $(($(date +%s) - start)) s: $out/$image"

# Drop older builds of this flavour (FLAVOUR-KEY exactly: plain-2g-opt-KEY
# is another flavour's) and source trees no build uses any more.
for d in "$HMKIT_CACHE/kernels/$flavour"-*; do
	[[ "${d##*/}" =~ ^"$flavour"-[0-9a-f]{12}$ ]] || continue
	[ "$d" = "$out" ] || rm -rf "$d"
done
for s in "$HMKIT_CACHE"/src/linux-*; do
	[ -d "$s" ] || continue
	used=0
	for k in "$HMKIT_CACHE"/kernels/*/; do
		[ "$(readlink -f "$k/source" 2>/dev/null)" = "$(readlink -f "$s")" ] && used=1
	done
	[ $used = 1 ] || [ "$s" = "$src" ] || rm -rf "$s"
done
