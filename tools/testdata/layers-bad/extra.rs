// ERROR: SPDX-License-Identifier: GPL-2.0 (a file in no layer)
pub(crate) fn extra() {}
