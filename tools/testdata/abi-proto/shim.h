/* SPDX-License-Identifier: GPL-2.0 */
/* The C side of tools/testdata/abi-proto/bad.rs. */
struct page;
struct hmkit_window { void *base; unsigned int nr; };

int hmkit_window_create(unsigned int nr, struct hmkit_window *w);
void hmkit_window_set(const struct hmkit_window *w, unsigned int slot, struct page *page);
unsigned long hmkit_window_pfn(const struct hmkit_window *w, unsigned int slot);
void hmkit_on_each_cpu(void (*fn)(void *), void *arg);
int hmkit_pkmap_slot(unsigned int idx, unsigned long *vaddr, unsigned long *pfn);
const char *hmkit_kernel_release(void);
void hmkit_seq_write(void *m, const char *buf, size_t len);
