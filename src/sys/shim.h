/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prototypes of hmkit's C shim. The Rust side declares the same functions
 * by hand in src/sys/mod.rs (bindgen does not run for external modules);
 * keep the two in step.
 */
#ifndef HMKIT_SHIM_H
#define HMKIT_SHIM_H

#include <linux/types.h>

struct dentry;
struct seq_file;

const char *hmkit_kernel_release(void);
unsigned int hmkit_config_pae(void);
unsigned int hmkit_num_online_cpus(void);

int hmkit_debugfs_dir(const char *name, struct dentry *parent,
		      struct dentry **out);
int hmkit_debugfs_file(const char *name, unsigned int mode,
		       struct dentry *parent, const void *entry,
		       struct dentry **out);
void hmkit_debugfs_remove(struct dentry *d);
void hmkit_seq_write(struct seq_file *m, const char *buf, size_t len);

#endif /* HMKIT_SHIM_H */
