// SPDX-License-Identifier: GPL-2.0
#include "shim.h"

struct hmkit_file_ops {
	int (*show)(const void *entry, struct seq_file *m);
	int (*write)(const void *entry, const char *buf, size_t len);
};
