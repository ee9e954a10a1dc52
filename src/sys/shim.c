// SPDX-License-Identifier: GPL-2.0
/*
 * hmkit's C shim: the kernel's static inlines, and every call whose
 * arguments Rust must not pass itself on i386 (a u64, loff_t or struct by
 * value: rustc does not pass those the way GCC's -mregparm=3 does). Rust sees
 * only pointers and 32-bit integers here. Declarations: src/sys/mod.rs.
 */

#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/utsname.h>

#include "shim.h"

/* --- kernel facts ------------------------------------------------------- */

const char *hmkit_kernel_release(void)
{
	return init_utsname()->release;
}

unsigned int hmkit_config_pae(void)
{
	return IS_ENABLED(CONFIG_X86_PAE);
}

unsigned int hmkit_num_online_cpus(void)
{
	return num_online_cpus();
}

/* --- debugfs ------------------------------------------------------------ */

/*
 * Header of every hmkit debugfs file's private data (Rust's `FileOps`,
 * #[repr(C)] at offset 0 of the entry). @show renders the file into @m,
 * @write takes one whole command; either may be NULL. Both return 0 or a
 * negative errno.
 */
struct hmkit_file_ops {
	int (*show)(const void *entry, struct seq_file *m);
	int (*write)(const void *entry, const char *buf, size_t len);
};

/* The largest single write a control file takes. */
#define HMKIT_WRITE_MAX 4096

static int hmkit_show(struct seq_file *m, void *v)
{
	const struct hmkit_file_ops *ops = m->private;

	return ops->show(ops, m);
}

static int hmkit_open(struct inode *inode, struct file *file)
{
	const struct hmkit_file_ops *ops = inode->i_private;

	/* Root passes the mode bits: refuse what the file cannot do here. */
	if ((file->f_mode & FMODE_READ) && !ops->show)
		return -EPERM;
	if ((file->f_mode & FMODE_WRITE) && !ops->write)
		return -EPERM;
	return single_open(file, hmkit_show, inode->i_private);
}

/*
 * Each write() is one complete command: the file offset is ignored, so a
 * program may send many commands through one open file.
 */
static ssize_t hmkit_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	const struct hmkit_file_ops *ops = m->private;
	char *buf;
	int ret;

	if (!count)
		return -EINVAL;
	if (count > HMKIT_WRITE_MAX)
		return -E2BIG;
	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = ops->write(ops, buf, count);
	kfree(buf);
	return ret ? ret : count;
}

static const struct file_operations hmkit_fops = {
	.owner = THIS_MODULE,
	.open = hmkit_open,
	.read = seq_read,
	.write = hmkit_write,
	.llseek = seq_lseek,
	.release = single_release,
};

int hmkit_debugfs_dir(const char *name, struct dentry *parent,
		      struct dentry **out)
{
	struct dentry *d = debugfs_create_dir(name, parent);

	if (IS_ERR(d))
		return PTR_ERR(d);
	*out = d;
	return 0;
}

int hmkit_debugfs_file(const char *name, unsigned int mode,
		       struct dentry *parent, const void *entry,
		       struct dentry **out)
{
	struct dentry *d = debugfs_create_file(name, mode, parent,
					       (void *)entry, &hmkit_fops);

	if (IS_ERR(d))
		return PTR_ERR(d);
	*out = d;
	return 0;
}

/* Removes @d and all below it; returns once no file operation is running. */
void hmkit_debugfs_remove(struct dentry *d)
{
	debugfs_remove(d);
}

void hmkit_seq_write(struct seq_file *m, const char *buf, size_t len)
{
	/* On overflow seq_file retries ->show() with a larger buffer. */
	seq_write(m, buf, len);
}
