#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build everything a VM run of one flavour needs (each step reuses what is
# up to date): kernel, hmkit.ko, hmctl, page-types, initramfs.
#
#   tools/build.sh FLAVOUR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || die "usage: tools/build.sh FLAVOUR (one of: $(all_flavours | xargs))"
"$HMKIT_ROOT/qemu/build-kernel.sh" "$1"
"$HMKIT_ROOT/tools/build-module.sh" "$1"
"$HMKIT_ROOT/tools/build-hmctl.sh" "$(flavour_arch "$1")"
"$HMKIT_ROOT/tools/build-page-types.sh" "$1"
"$HMKIT_ROOT/qemu/mkinitramfs.sh" "$1"
