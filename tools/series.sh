#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kernel patch series (qemu/patches/, git format-patch form with a cover
# letter), as a reviewer receives it.
#
#   tools/series.sh check      every patch applies in order with `git am` to
#                              Debian's pristine linux-source, and passes the
#                              kernel's scripts/checkpatch.pl --strict; the
#                              cover letter's shortlog lists every patch
#   tools/series.sh tree DIR   a git repository in DIR with the files the
#                              series touches, pristine, and the series
#                              applied as commits: amend or rebase there,
#                              then `git format-patch -o qemu/patches
#                              --cover-letter --zero-commit --no-signature
#                              -N` (with core.abbrev=12) and refresh
#                              0000-cover-letter.patch's text
#
# Prints "ok - ..." / "not ok - ..." lines for check; exits non-zero on a
# failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tarball=/usr/src/linux-source-6.12.tar.xz
patchdir=$HMKIT_ROOT/qemu/patches
mapfile -t patches < <(ls "$patchdir"/[0-9][0-9][0-9][0-9]-*.patch | grep -v '/0000-')
cover=$patchdir/0000-cover-letter.patch
[ ${#patches[@]} -gt 0 ] || die "no patches in $patchdir"
[ -f "$tarball" ] || die "$tarball missing: run tools/setup.sh"

# tree DIR: pristine files the series touches, as a commit, plus the series.
tree() {
	local dir=$1 files=()
	rm -rf "$dir"
	mkdir -p "$dir"
	mapfile -t files < <(sed -n 's|^diff --git a/\([^ ]*\) b/.*|\1|p' "${patches[@]}" | sort -u)
	log "extracting the ${#files[@]} files the series touches from $tarball"
	# New files are not in the tarball: extract the others.
	local have=()
	mapfile -t have < <(tar -tJf "$tarball" | sed 's|^[^/]*/||' | grep -xF -f <(printf '%s\n' "${files[@]}"))
	[ ${#have[@]} -eq 0 ] || tar -xJf "$tarball" -C "$dir" --strip-components=1 --wildcards \
		$(printf '*/%s ' "${have[@]}")
	(
		cd "$dir"
		export GIT_AUTHOR_NAME=pristine GIT_AUTHOR_EMAIL=pristine@localhost
		export GIT_COMMITTER_NAME=hmkit GIT_COMMITTER_EMAIL=hmkit@localhost
		git init -q .
		git add -A .
		git commit -q -m "linux-source $(dpkg-query -W -f='${Version}' linux-source-6.12): the files the series touches"
		git am -q "${patches[@]}"
	)
}

case "${1:-check}" in
tree)
	[ $# -eq 2 ] || die "usage: tools/series.sh tree DIR"
	tree "$2"
	log "series applied in $2: $(git -C "$2" log --oneline | wc -l) commits"
	;;
check)
	work=$(mktemp -d "${TMPDIR:-/tmp}/hmkit-series.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	fails=0
	result() { # OK NAME [WHY]
		if [ "$1" = 0 ]; then echo "ok - $2"; else echo "not ok - $2${3:+: $3}"; fails=$((fails + 1)); fi
	}
	if tree "$work/tree" >"$work/am.log" 2>&1; then
		result 0 "series: the ${#patches[@]} patches apply in order with git am"
	else
		cat "$work/am.log" >&2
		result 1 "series: the ${#patches[@]} patches apply in order with git am" "see above"
	fi
	# checkpatch.pl and its data files, from the same source package.
	tar -xJf "$tarball" -C "$work" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
	for p in "${patches[@]}"; do
		if out=$(cd "$work" && perl scripts/checkpatch.pl --strict --no-tree --terse --show-types "$p" 2>&1); then
			result 0 "series: $(basename "$p") is checkpatch.pl --strict clean"
		else
			echo "$out" >&2
			result 1 "series: $(basename "$p") is checkpatch.pl --strict clean" "see above"
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
	result "$([ -z "$bad" ] && echo 0 || echo 1)" "series: the cover letter and the patches agree (${n} patches)" "$bad"
	[ $fails = 0 ]
	;;
*) die "usage: tools/series.sh [check | tree DIR]" ;;
esac
