#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kernel patch series, one per architecture (qemu/patches/x86/: Rust on
# i386; qemu/patches/arm/: Rust on ARMv7), each in git format-patch form
# with a cover letter, as a reviewer receives them.
#
#   tools/series.sh check [SERIES]
#                              every patch applies in order with `git am` to
#                              Debian's pristine linux-source, and passes the
#                              kernel's scripts/checkpatch.pl --strict; the
#                              cover letter's shortlog lists every patch
#                              (SERIES: x86 or arm; both by default)
#   tools/series.sh tree SERIES DIR
#                              a git repository in DIR with the files the
#                              series touches, pristine, and the series
#                              applied as commits: amend or rebase there,
#                              then `git format-patch -o qemu/patches/SERIES
#                              --cover-letter --zero-commit --no-signature
#                              -N` (with core.abbrev=12) and refresh
#                              0000-cover-letter.patch's text
#
# Prints "ok - ..." / "not ok - ..." lines for check; exits non-zero on a
# failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || die "$tarball missing: run tools/setup.sh"
ALL_SERIES=(x86 arm)

# use SERIES: point $patchdir, $patches and $cover at one series.
use() {
	[ -d "$HMKIT_ROOT/qemu/patches/$1" ] || die "no series '$1' (qemu/patches/: ${ALL_SERIES[*]})"
	series=$1
	patchdir=$HMKIT_ROOT/qemu/patches/$1
	mapfile -t patches < <(ls "$patchdir"/[0-9][0-9][0-9][0-9]-*.patch | grep -v '/0000-')
	cover=$patchdir/0000-cover-letter.patch
	[ ${#patches[@]} -gt 0 ] || die "no patches in $patchdir"
}

# The files the series touches that exist before it (the others it creates).
touched() {
	awk '/^diff --git a\// { f = substr($3, 3); seen[f] = 1 }
		/^new file mode/ { isnew[f] = 1 }
		END { for (f in seen) if (!(f in isnew)) print f }' "${patches[@]}" | sort
}

# tree DIR [FILE...]: pristine copies of the files the series touches, as a
# commit, then the series applied with git am; FILEs (paths in the source
# tree) are extracted beside them, uncommitted, in the same pass.
tree() {
	local dir=$1 files=()
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	mapfile -t files < <(touched)
	log "extracting the ${#files[@]} files the series changes from $tarball"
	tar -xJf "$tarball" -C "$dir" --strip-components=1 \
		$(printf 'linux-source-6.12/%s ' "${files[@]}" "$@")
	(
		cd "$dir"
		export GIT_AUTHOR_NAME=pristine GIT_AUTHOR_EMAIL=pristine@localhost
		export GIT_COMMITTER_NAME=hmkit GIT_COMMITTER_EMAIL=hmkit@localhost
		git init -q .
		git add -- "${files[@]}"
		git commit -q -m "linux-source $(dpkg-query -W -f='${Version}' linux-source-6.12): the files the series touches"
		git am -q "${patches[@]}"
	)
}

# check: the checks above on the series in use.
check() {
	# checkpatch.pl and its data files come from the same source package.
	if tree "$work/$series" scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch \
		>"$work/$series.am.log" 2>&1; then
		result 0 "series $series: the ${#patches[@]} patches apply in order with git am"
	else
		cat "$work/$series.am.log" >&2
		result 1 "series $series: the ${#patches[@]} patches apply in order with git am" "see above"
	fi
	[ -f "$work/$series/scripts/checkpatch.pl" ] || die "scripts/checkpatch.pl is not in $tarball"
	for p in "${patches[@]}"; do
		if out=$(cd "$work/$series" && perl scripts/checkpatch.pl --strict --no-tree --terse --show-types "$p" 2>&1); then
			result 0 "series $series: $(basename "$p") is checkpatch.pl --strict clean"
		else
			echo "$out" >&2
			result 1 "series $series: $(basename "$p") is checkpatch.pl --strict clean" "see above"
		fi
	done
	# The cover letter names every patch, numbered out of the right total.
	n=${#patches[@]}
	want=$(for p in "${patches[@]}"; do sed -n '/^Subject: /{N;s/\n / /;s/^Subject: \[PATCH [0-9]*\/[0-9]*\] //p}' "$p"; done)
	bad=""
	[ -f "$cover" ] || bad="$cover is missing"
	[ -n "$bad" ] || grep -q "^Subject: \[PATCH 0/$n\] " "$cover" || bad="its subject is not [PATCH 0/$n]"
	if [ -z "$bad" ]; then
		while IFS= read -r s; do
			# The shortlog wraps long subjects: compare without whitespace.
			tr -d ' \n' <"$cover" | grep -qF "$(tr -d ' ' <<<"$s")" || bad="${bad:+$bad; }no \"$s\""
		done <<<"$want"
		for p in "${patches[@]}"; do
			grep -q "^Subject: \[PATCH [0-9]*/$n\] " "$p" || bad="${bad:+$bad; }$(basename "$p") is not numbered out of $n"
		done
	fi
	result "$([ -z "$bad" ] && echo 0 || echo 1)" "series $series: the cover letter and the patches agree (${n} patches)" "$bad"
}

case "${1:-check}" in
tree)
	[ $# -eq 3 ] || die "usage: tools/series.sh tree SERIES DIR (SERIES: ${ALL_SERIES[*]})"
	use "$2"
	tree "$3"
	log "series $2 applied in $3: $(git -C "$3" log --oneline | wc -l) commits"
	;;
check)
	[ $# -le 2 ] || die "usage: tools/series.sh check [SERIES]"
	work=$(mktemp -d "${TMPDIR:-/tmp}/hmkit-series.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	if [ $# = 2 ]; then todo=("$2"); else todo=("${ALL_SERIES[@]}"); fi
	for t in "${todo[@]}"; do
		use "$t"
		check
	done
	[ $fails = 0 ]
	;;
*) die "usage: tools/series.sh [check [SERIES] | tree SERIES DIR]" ;;
esac
