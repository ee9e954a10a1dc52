// SPDX-License-Identifier: GPL-2.0
#include "shim.h"

/* "unsigned long hmkit_three(int);" in a comment is not a prototype */
struct hmkit_file_ops {
	int (*show)(const void *entry, struct seq_file *m);
	int (*write)(const void *entry, const char *buf, size_t len);
};

static int hmkit_helper(int x)
{
	char c = '"';
	return x + c;
}

int hmkit_defined_here(int a, const char *s)
{
	const struct hmkit_file_ops ops = { .show = 0, .write = 0 };
	return a;
}
