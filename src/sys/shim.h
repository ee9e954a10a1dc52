/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prototypes of hmkit's C shim. The Rust side declares the same functions
 * by hand in src/sys/mod.rs (bindgen does not run for external modules);
 * keep the two in step.
 */
#ifndef HMKIT_SHIM_H
#define HMKIT_SHIM_H

#include <linux/types.h>
#include <linux/pgtable.h>

struct dentry;
struct page;
struct seq_file;

/*
 * Where things are in the kernel's virtual address space (Rust:
 * sys::RawLayout). What an architecture does not have is 0 (x86-32 has no
 * modules area of its own or vectors page; ARM no LDT remap, CPU entry area
 * or boot-time fixmap).
 */
struct hmkit_layout {
	unsigned long page_size, pmd_size;
	unsigned long task_size, page_offset, high_memory;
	unsigned long vmalloc_start, vmalloc_end;
	unsigned long pkmap_base, last_pkmap;
	unsigned long ldt_base, ldt_end;
	unsigned long cpu_entry_area_base, cpu_entry_area_size;
	unsigned long fixaddr_tot_start, fixaddr_start, fixaddr_top;
	unsigned long kmap_local_start, kmap_local_end;
	unsigned long kmap_local_slots, nr_cpus;
	unsigned long modules_start, modules_end;
	unsigned long vectors_start, vectors_end;
	unsigned long fdt_start, fdt_end;
	unsigned int pae;
};

/* One zone of node 0, in pages (Rust: sys::RawZone). */
struct hmkit_zone {
	const char *name;
	unsigned long start_pfn, spanned, present, managed, free;
	unsigned int highmem;
};

/* The pool's window of kernel virtual address space (Rust: sys::window). */
struct hmkit_window {
	void *base;
	unsigned int nr;
	struct page *dummy;
	pte_t **ptes;
	/* The page each slot's PTE maps, with a reference, until the flush after its clear. */
	struct page **pages;
};

/*
 * The kernel's own event counts, each summed over the online CPUs (Rust:
 * sys::RawEvents): the TLB flush counters of /proc/vmstat (HMKIT_HAVE_VMSTAT
 * in @have: not without CONFIG_DEBUG_TLBFLUSH, which only x86 has) and the
 * function-call and TLB-shootdown IPIs of /proc/interrupts (CAL, TLB;
 * HMKIT_HAVE_IPIS: x86 only, ARM keeps its IPI counts private).
 * 32-bit counters: they wrap.
 */
struct hmkit_events {
	unsigned long flush_one, flush_all, remote, remote_rcvd;
	unsigned long ipi_call, ipi_tlb;
	unsigned int have;
};
#define HMKIT_HAVE_VMSTAT 1u
#define HMKIT_HAVE_IPIS 2u

void hmkit_events(struct hmkit_events *e);

/* Flush every slot, whatever the count (for create and destroy). */
#define HMKIT_FLUSH_ALL 0xffffffffu
/* More slots than this are flushed with a full TLB flush per CPU. */
#define HMKIT_FLUSH_ONE_BY_ONE 32

unsigned int hmkit_param_slots(void);
unsigned int hmkit_param_wait_ms(void);
int hmkit_window_create(unsigned int nr, struct hmkit_window *w);
void hmkit_window_destroy(struct hmkit_window *w);
void hmkit_window_set(const struct hmkit_window *w, unsigned int slot, struct page *page);
void hmkit_window_clear(const struct hmkit_window *w, unsigned int slot);
unsigned long hmkit_window_pfn(const struct hmkit_window *w, unsigned int slot);
void hmkit_window_flush(const struct hmkit_window *w, const unsigned int *slot_list, unsigned int n);
void hmkit_window_put(const struct hmkit_window *w, unsigned int slot);

void *hmkit_vmap_one(struct page *page);
void hmkit_vunmap(const void *addr);
void *hmkit_vm_map_ram_one(struct page *page);
void hmkit_vm_unmap_ram(const void *addr);
void hmkit_on_each_cpu(void (*fn)(void *), void *arg);
void hmkit_cond_resched(void);
unsigned int hmkit_in_interrupt(void);
unsigned int hmkit_kmap_local_room(void);
unsigned int hmkit_smp_processor_id(void);
unsigned int hmkit_get_cpu(void);
void hmkit_put_cpu(void);
void hmkit_cpu_relax(void);
unsigned int hmkit_nr_cpu_ids(void);
void hmkit_layout(struct hmkit_layout *l);
int hmkit_zone(unsigned int idx, struct hmkit_zone *z);

/*
 * What a page frame's struct page says of its use (Rust: the census,
 * src/logic/census.rs, whose `pf` constants mirror these bits).
 */
#define HMKIT_PF_BUDDY		(1u << 0)
#define HMKIT_PF_ZSMALLOC	(1u << 1)
#define HMKIT_PF_SLAB		(1u << 2)
#define HMKIT_PF_PGTABLE	(1u << 3)
#define HMKIT_PF_OTHER_TYPE	(1u << 4)
#define HMKIT_PF_RESERVED	(1u << 5)
#define HMKIT_PF_ANON		(1u << 6)
#define HMKIT_PF_FILE		(1u << 7)
#define HMKIT_PF_SWAPBACKED	(1u << 8)
#define HMKIT_PF_DIRTY		(1u << 9)
#define HMKIT_PF_WRITEBACK	(1u << 10)
#define HMKIT_PF_UNREFERENCED	(1u << 11)
#define HMKIT_PF_TAIL		(1u << 12)
#define HMKIT_PF_SWAPCACHE	(1u << 13)

int hmkit_page_facts(unsigned long pfn, unsigned int *flags, unsigned int *order);
unsigned long hmkit_vmalloc_pfn(unsigned long addr);
int hmkit_task_stack_pfns(unsigned long *pfns, unsigned int max, unsigned int *n);

unsigned long hmkit_page_to_pfn(struct page *page);
unsigned int hmkit_page_is_highmem(struct page *page);
const char *hmkit_page_zone_name(struct page *page);
void *hmkit_page_address(struct page *page);
void hmkit_get_page(struct page *page);
void hmkit_put_page(struct page *page);
unsigned int hmkit_page_count(struct page *page);
void *hmkit_kmap_local(struct page *page);
void hmkit_kunmap_local(void *addr);
void *hmkit_kmap_atomic(struct page *page);
void hmkit_kunmap_atomic(void *addr);
void *hmkit_kmap(struct page *page);
void hmkit_kunmap(struct page *page);
int hmkit_vmalloc_page(const void *addr, unsigned long *pfn,
		       unsigned int *highmem, const char **zone);
int hmkit_pkmap_slot(unsigned int idx, unsigned long *vaddr, unsigned long *pfn);

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

/*
 * One call of a probed highmem mapping function (src/sys/kmaps.c; Rust:
 * sys::kmaps::RawKmapEvent). The two u64 come first and the size is a
 * multiple of 8, so the layout is the same whether u64 aligns to 4 (GCC
 * on i386) or 8.
 */
struct hmkit_kmap_event {
	u64 now_ns;		/* ktime_get_mono_fast_ns() */
	u64 start_ns;		/* KMAP_RETURN: when kmap_high() was entered */
	unsigned long site;	/* the probed function's return address */
	unsigned long key;	/* struct page * (kmap, kunmap, local page), pfn, or address (kunmap_local) */
	unsigned int kind;	/* HMKIT_KMAP_EV_* */
	unsigned int highmem;	/* the page is highmem; for KUNMAP_LOCAL: the address was a kmap_local slot */
	unsigned int depth;	/* kmap_local mappings the task held before this call */
	unsigned int pagefault_disabled;	/* kmap_atomic() disables page faults; kmap_local_page() does not */
	unsigned int cpu;
	unsigned int waited;	/* KMAP_RETURN: the caller slept for a free pkmap slot */
};

#define HMKIT_KMAP_EV_KMAP		0
#define HMKIT_KMAP_EV_KMAP_RETURN	1
#define HMKIT_KMAP_EV_KUNMAP		2
#define HMKIT_KMAP_EV_LOCAL_PAGE	3
#define HMKIT_KMAP_EV_LOCAL_PFN		4
#define HMKIT_KMAP_EV_KUNMAP_LOCAL	5
#define HMKIT_KMAP_EV_PKMAP_FLUSH	6

/* The buffer hmkit_symbol() writes (at least KSYM_SYMBOL_LEN). */
#define HMKIT_KSYM_LEN 1024

int hmkit_kmaps_register(void (*sink)(void *ctx, const struct hmkit_kmap_event *ev), void *ctx,
			 unsigned int *gen);
void hmkit_kmaps_unregister(unsigned int gen);
unsigned long hmkit_kmaps_missed(void);
void hmkit_symbol(unsigned long addr, char *buf);

#endif /* HMKIT_SHIM_H */
