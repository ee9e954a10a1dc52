/* SPDX-License-Identifier: GPL-2.0 */
/* check-abi fixture: asmlinkage declarations, as the kernel's headers have them. */
asmlinkage void fixture_on_stack(int a, int b);
asmlinkage __visible void fixture_visible(const char *lvl);
asmlinkage __printf(1, 2) __cold int fixture_printf(const char *fmt, ...);
asmlinkage int fixture_vprintf(const char *fmt, va_list args);
asmlinkage void fixture_no_params(void);
void fixture_plain(int a);
