/* SPDX-License-Identifier: GPL-2.0 */
/* The C side of tools/testdata/abi-struct/bad.rs. */
struct page;
struct seq_file;

struct hmkit_layout {
	unsigned long page_size, pmd_size;
	unsigned long page_offset, high_memory;
	unsigned int pae;
};

struct hmkit_zone {
	const char *name;
	unsigned long start_pfn, spanned;
	unsigned int highmem;
};

struct hmkit_window {
	void *base;
	unsigned int nr;
	struct page *dummy;
};

struct hmkit_ranges {
	unsigned long start, end;
};

void hmkit_layout(struct hmkit_layout *l);
