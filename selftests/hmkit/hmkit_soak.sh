#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The quick soak of `make test`: every mechanism at once for 10 seconds.
exec sh "$(dirname "$0")/soak.sh" "${HMKIT_SOAK_SECONDS:-10}"
