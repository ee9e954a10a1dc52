/* SPDX-License-Identifier: GPL-2.0 */
asmlinkage __wsum fixture_csum(const void *buff, int len, __wsum sum);
