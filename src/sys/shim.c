// SPDX-License-Identifier: GPL-2.0
/*
 * hmkit's C shim: the kernel's static inlines, and every call whose
 * arguments Rust must not pass itself on i386 (a u64, loff_t or struct by
 * value: rustc does not pass those the way GCC's -mregparm=3 does). Rust sees
 * only pointers and 32-bit integers here. Declarations: src/sys/mod.rs.
 *
 * It is also where the architectures differ (CONFIG_X86_32 or CONFIG_ARM):
 * the layout's regions, finding a kernel PTE, setting one, flushing TLBs
 * and counting IPIs. Nothing above this file knows which it runs on.
 */

#include <linux/cpumask.h>
#include <linux/moduleparam.h>
#include <linux/build_bug.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/rcupdate.h>
#include <linux/stddef.h>
#include <linux/smp.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/pgtable.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>
#ifdef CONFIG_X86_32
#include <asm/cpu_entry_area.h>
#endif
#include <asm/hardirq.h>
#include <asm/fixmap.h>
#include <asm/tlbflush.h>
#ifdef CONFIG_ARM
#include <asm/cachetype.h>
#include <asm/memory.h>
#endif
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/utsname.h>

#include "shim.h"

/*
 * The Rust side mirrors these structs by hand (src/sys/mod.rs, window.rs,
 * debugfs.rs) and asserts the same sizes and offsets there;
 * tools/check-abi.py compares the fields one by one.
 */
static_assert(sizeof(struct hmkit_layout) == 26 * 4 + 4);
static_assert(offsetof(struct hmkit_layout, nr_cpus) == 19 * 4);
static_assert(offsetof(struct hmkit_layout, pae) == 26 * 4);
static_assert(sizeof(struct hmkit_zone) == 7 * 4);
static_assert(offsetof(struct hmkit_zone, highmem) == 6 * 4);
static_assert(sizeof(struct hmkit_window) == 5 * 4);
static_assert(offsetof(struct hmkit_window, ptes) == 3 * 4);
static_assert(offsetof(struct hmkit_window, pages) == 4 * 4);
static_assert(sizeof(struct hmkit_events) == 7 * 4);
static_assert(offsetof(struct hmkit_events, have) == 6 * 4);

/* --- kernel facts ------------------------------------------------------- */

const char *hmkit_kernel_release(void)
{
	return init_utsname()->release;
}

/* Whether page table entries are 64 bits: x86's PAE or ARM's LPAE. */
unsigned int hmkit_config_pae(void)
{
	return IS_ENABLED(CONFIG_X86_PAE) || IS_ENABLED(CONFIG_ARM_LPAE);
}

unsigned int hmkit_num_online_cpus(void)
{
	return num_online_cpus();
}

/*
 * The counters /proc/vmstat and /proc/interrupts print, summed the way they
 * sum them (all_vm_events() and arch_show_interrupts(): online CPUs), read
 * here so that a benchmark can take them right around its loop.
 */
void hmkit_events(struct hmkit_events *e)
{
	int cpu;

	memset(e, 0, sizeof(*e));
	if (IS_ENABLED(CONFIG_VM_EVENT_COUNTERS) && IS_ENABLED(CONFIG_DEBUG_TLBFLUSH))
		e->have |= HMKIT_HAVE_VMSTAT;
	if (IS_ENABLED(CONFIG_X86))
		e->have |= HMKIT_HAVE_IPIS;
	for_each_online_cpu(cpu) {
#if defined(CONFIG_VM_EVENT_COUNTERS) && defined(CONFIG_DEBUG_TLBFLUSH)
		const unsigned long *ev = per_cpu(vm_event_states, cpu).event;

		e->flush_one += ev[NR_TLB_LOCAL_FLUSH_ONE];
		e->flush_all += ev[NR_TLB_LOCAL_FLUSH_ALL];
		e->remote += ev[NR_TLB_REMOTE_FLUSH];
		e->remote_rcvd += ev[NR_TLB_REMOTE_FLUSH_RECEIVED];
#endif
#ifdef CONFIG_X86
		e->ipi_call += per_cpu(irq_stat, cpu).irq_call_count;
		e->ipi_tlb += per_cpu(irq_stat, cpu).irq_tlb_count;
#endif
		/*
		 * ARM counts its IPIs in per-IPI interrupt descriptors that
		 * are private to arch/arm/kernel/smp.c: not reported there.
		 */
	}
}

/* --- address-space layout --------------------------------------------- */

void hmkit_layout(struct hmkit_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->page_size = PAGE_SIZE;
	l->pmd_size = PMD_SIZE;
	l->task_size = TASK_SIZE;
	l->page_offset = PAGE_OFFSET;
	l->high_memory = (unsigned long)high_memory;
	l->vmalloc_start = VMALLOC_START;
	l->vmalloc_end = VMALLOC_END;
	l->pkmap_base = PKMAP_BASE;
	l->last_pkmap = LAST_PKMAP;
#ifdef CONFIG_X86_32
	/* Modules are loaded in the vmalloc area; no vectors page. */
	l->ldt_base = LDT_BASE_ADDR;
	l->ldt_end = LDT_END_ADDR;
	l->cpu_entry_area_base = CPU_ENTRY_AREA_BASE;
	l->cpu_entry_area_size = CPU_ENTRY_AREA_MAP_SIZE;
	l->fixaddr_tot_start = FIXADDR_TOT_START;
	l->fixaddr_start = FIXADDR_START;
	l->fixaddr_top = FIXADDR_TOP;
#endif
#ifdef CONFIG_ARM
	/*
	 * Below PAGE_OFFSET: the modules, then the pkmap's 2 MiB. The
	 * fixmap's slot 0 is used too (FIXADDR_TOP is its last page's
	 * start): it ends at FIXADDR_END. The vectors page and its stubs
	 * page sit at 0xffff0000. Early ioremap shares the kmap slots: no
	 * boot-time fixmap of its own (fixaddr_tot_start is FIXADDR_START).
	 */
	l->modules_start = MODULES_VADDR;
	l->modules_end = MODULES_END;
	l->fixaddr_tot_start = FIXADDR_START;
	l->fixaddr_start = FIXADDR_START;
	l->fixaddr_top = FIXADDR_END;
	l->vectors_start = VECTORS_BASE;
	l->vectors_end = VECTORS_BASE + 2 * PAGE_SIZE;
	/* The device tree, mapped read-only above VMALLOC_END at boot. */
	l->fdt_start = FDT_FIXED_BASE;
	l->fdt_end = FDT_FIXED_BASE + FDT_FIXED_SIZE;
#endif
	l->kmap_local_slots = KM_MAX_IDX;
	/* The fixmap's kmap_local/kmap_atomic slots, KM_MAX_IDX per CPU. */
	l->kmap_local_start = __fix_to_virt(FIX_KMAP_END);
	l->kmap_local_end = __fix_to_virt(FIX_KMAP_BEGIN) + PAGE_SIZE;
	l->nr_cpus = nr_cpu_ids;
	l->pae = hmkit_config_pae();
}

/* --- finding a kernel PTE ------------------------------------------------ */

/*
 * The PTE that maps kernel address @addr, or NULL when a level above it is
 * empty or @addr is in a huge (pmd) mapping; *@huge says which, and then
 * *@hpfn is the pfn the huge mapping gives @addr.
 */
static pte_t *hmkit_kernel_pte(unsigned long addr, bool *huge, unsigned long *hpfn)
{
#ifdef CONFIG_X86_32
	unsigned int level;
	pte_t *ptep = lookup_address(addr, &level);

	*huge = false;
	if (!ptep)
		return NULL;
	if (level == PG_LEVEL_4K)
		return ptep;
	if (level == PG_LEVEL_2M) {
		pte_t pte = ptep_get_lockless(ptep);

		if (pte_present(pte) && pte_huge(pte)) {
			*huge = true;
			*hpfn = pte_pfn(pte) + ((addr & ~PMD_MASK) >> PAGE_SHIFT);
		}
	}
	return NULL;
#else
	/*
	 * init_mm is not exported (and init_task.active_mm is NULL once the
	 * boot CPU's idle task has switched away). Walk the current task's
	 * mm instead, with preemption off (a kernel thread's active_mm is
	 * borrowed): its kernel half points at init_mm's PTE tables, which
	 * are never freed. But an entry may be missing there: with 2-level
	 * tables a vmalloc-area pmd set since the task's last real
	 * switch_mm() (ARM copies them at a switch, or on the first fault:
	 * arch_sync_kernel_mappings(), check_vmalloc_seq()), and with LPAE
	 * any pmd below PAGE_OFFSET (the modules and pkmap: each process has
	 * its own pmd table there, filled on faults). So only the pool's
	 * window, which touches its addresses first (hmkit_window_create()),
	 * uses this walk for its PTEs; read-only lookups go through
	 * hmkit_kernel_pfn(). A section (leaf pmd) maps only static I/O in
	 * an SMP kernel (arch/arm/mm/mmu.c's iotable, in every pgd since
	 * boot): *@huge, with no RAM page (*@hpfn -1UL).
	 */
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd, pmdv;

	/*
	 * Plain reads of the upper levels, as the kernel's own walks do (on
	 * 2-level ARM pgd_t is an array, which READ_ONCE() cannot take, and
	 * 6.12's ARM pgdp_get() reads its caller's "pgdp", not its argument).
	 * Those levels are folded there and never change under LPAE.
	 */
	pte_t *ptep = NULL;

	*huge = false;
	preempt_disable();
	pgd = pgd_offset(current->active_mm, addr);
	if (pgd_none(*pgd))
		goto out;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d))
		goto out;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud))
		goto out;
	pmd = pmd_offset(pud, addr);
	pmdv = pmdp_get(pmd);
	if (pmd_leaf(pmdv)) {
		*huge = true;
		*hpfn = -1UL;
	} else if (!pmd_none(pmdv) && !pmd_bad(pmdv)) {
		ptep = pte_offset_kernel(pmd, addr);
	}
out:
	preempt_enable();
	return ptep;
#endif
}

/*
 * The pfn kernel address @addr (vmalloc area, pkmap) maps, or -1UL if
 * none. On ARM through vmalloc_to_page(), which walks init_mm: this task's
 * copy of the upper levels may lack the entry (hmkit_kernel_pte()), and
 * ARM has no huge vmap for it to WARN on; a section found first maps
 * static I/O, not RAM.
 */
static unsigned long hmkit_kernel_pfn(unsigned long addr)
{
	unsigned long hpfn = -1UL;
	bool huge;
	pte_t *ptep = hmkit_kernel_pte(addr, &huge, &hpfn);

	if (huge)
		return hpfn;
#ifdef CONFIG_ARM
	{
		/* This task's walk may miss the entry: look in init_mm's. */
		struct page *page = vmalloc_to_page((const void *)addr);

		(void)ptep;
		return page ? page_to_pfn(page) : -1UL;
	}
#else
	if (ptep) {
		pte_t pte = ptep_get_lockless(ptep);

		if (pte_present(pte))
			return pte_pfn(pte);
	}
	return -1UL;
#endif
}

/* --- zones -------------------------------------------------------------- */

int hmkit_zone(unsigned int idx, struct hmkit_zone *z)
{
	struct zone *zone;

	if (idx >= MAX_NR_ZONES)
		return -ENOENT;
	zone = &NODE_DATA(0)->node_zones[idx];
	z->name = zone->name;
	z->start_pfn = zone->zone_start_pfn;
	z->spanned = zone->spanned_pages;
	z->present = zone->present_pages;
	z->managed = zone_managed_pages(zone);
	z->free = zone_page_state(zone, NR_FREE_PAGES);
	z->highmem = is_highmem(zone);
	return 0;
}

/* --- the census ------------------------------------------------------------ */

/*
 * What @pfn's struct page says of its use, as HMKIT_PF_* bits in *@flags,
 * and in *@order the order of the free block or folio it heads (0 for
 * other pages). -ENOENT if @pfn has no struct page.
 *
 * Read without locks, as /proc/kpageflags reads them: the page can change
 * under us, so every read is a plain load of a word (no helper whose
 * debug checks assert a page's state, e.g. the PF_NO_COMPOUND policy of
 * PageReserved()), and the caller bounds what it does with *@order.
 */
int hmkit_page_facts(unsigned long pfn, unsigned int *flags, unsigned int *order)
{
	struct page *page, *head;
	unsigned long mapping, fl;
	unsigned int type, f = 0;

	*flags = 0;
	*order = 0;
	/* FLATMEM on i386: every valid pfn has an initialised struct page. */
	if (!pfn_valid(pfn))
		return -ENOENT;
	page = pfn_to_page(pfn);
	if (PagePoisoned(page))
		return -ENOENT;
	type = data_race(page->page_type) >> 24;
	if (type == PGTY_buddy) {
		unsigned long o = data_race(page_private(page));

		/*
		 * Trust the order only if the page is still a free block's
		 * head after it was read, and the block is aligned to it; else
		 * count this frame alone.
		 */
		smp_rmb();
		if (o >= NR_PAGE_ORDERS || !IS_ALIGNED(pfn, 1UL << o) ||
		    (data_race(page->page_type) >> 24) != PGTY_buddy)
			o = 0;
		*flags = HMKIT_PF_BUDDY;
		*order = o;
		return 0;
	}
	/*
	 * Folios are not skipped: each frame of one reads its head's facts
	 * (so a folio split or freed meanwhile is still counted frame by
	 * frame, never by a stale order).
	 */
	head = compound_head(page);
	if (head != page)
		f |= HMKIT_PF_TAIL;
	/* Page types: zsmalloc and page tables per page, slab on the folio's head. */
	if (type == PGTY_zsmalloc)
		f |= HMKIT_PF_ZSMALLOC;
	else if (type == PGTY_table)
		f |= HMKIT_PF_PGTABLE;
	else if ((data_race(head->page_type) >> 24) == PGTY_slab)
		f |= HMKIT_PF_SLAB;
	else if (page_has_type(page))
		f |= HMKIT_PF_OTHER_TYPE;
	fl = READ_ONCE(head->flags);
	if (fl & BIT(PG_reserved))
		f |= HMKIT_PF_RESERVED;
	mapping = (unsigned long)READ_ONCE(head->mapping);
	if (mapping & PAGE_MAPPING_ANON)
		f |= HMKIT_PF_ANON;
	else if (mapping && !(mapping & PAGE_MAPPING_FLAGS))
		f |= HMKIT_PF_FILE;
	if (fl & BIT(PG_swapbacked))
		f |= HMKIT_PF_SWAPBACKED;
	/* PG_swapcache is PG_owner_priv_1: it means swap cache only with PG_swapbacked. */
	if ((fl & (BIT(PG_swapbacked) | BIT(PG_swapcache))) == (BIT(PG_swapbacked) | BIT(PG_swapcache)))
		f |= HMKIT_PF_SWAPCACHE;
	if (fl & BIT(PG_dirty))
		f |= HMKIT_PF_DIRTY;
	if (fl & BIT(PG_writeback))
		f |= HMKIT_PF_WRITEBACK;
	if (!(f & (HMKIT_PF_ZSMALLOC | HMKIT_PF_PGTABLE | HMKIT_PF_SLAB | HMKIT_PF_OTHER_TYPE)) &&
	    page_ref_count(head) == 0)
		f |= HMKIT_PF_UNREFERENCED;
	*flags = f;
	return 0;
}

/*
 * The pfn the vmalloc-area address @addr maps, or -1UL if none. Through
 * hmkit_kernel_pte(), not vmalloc_to_page(): that one WARNs on a pmd that
 * changes between its reads, which a walk over areas it does not own (a
 * huge ioremap being torn down, on PAE) can see; the walk has no such
 * check. A racing teardown gives a stale pfn at worst; the entry is
 * read once, without tearing on PAE. The vmalloc area's PTE tables are
 * never freed on x86-32.
 */
unsigned long hmkit_vmalloc_pfn(unsigned long addr)
{
	if (!is_vmalloc_addr((void *)addr))
		return -1UL;
	return hmkit_kernel_pfn(addr);
}

/*
 * The frames of every task's kernel stack, THREAD_SIZE / PAGE_SIZE per
 * task, into @pfns[0..@max); *@n tells how many. -ENOSPC if they do not
 * fit (call again with more room). Walks the task list under RCU only and
 * takes only the stack's address (stacks are freed after an RCU grace
 * period): a stack freed meanwhile is still counted, which a census taken
 * without locks allows. x86-32 has no VMAP_STACK: stacks are lowmem. ARM
 * has it: a vmalloc'ed stack's frames come from the vmalloc area's page
 * tables (hmkit_vmalloc_pfn()), and may be highmem.
 */
int hmkit_task_stack_pfns(unsigned long *pfns, unsigned int max, unsigned int *n)
{
	struct task_struct *g, *t;
	unsigned int i = 0, k;
	int ret = 0;

	BUILD_BUG_ON(IS_ENABLED(CONFIG_X86_32) && IS_ENABLED(CONFIG_VMAP_STACK));
	rcu_read_lock();
	for_each_process_thread(g, t) {
		const void *stack = READ_ONCE(t->stack);

		if (!stack)
			continue;
		if (max - i < THREAD_SIZE / PAGE_SIZE) {
			ret = -ENOSPC;
			goto out; /* a break would leave only the inner loop */
		}
		for (k = 0; k < THREAD_SIZE / PAGE_SIZE; k++) {
			unsigned long a = (unsigned long)stack + k * PAGE_SIZE;

			pfns[i++] = is_vmalloc_addr((void *)a) ? hmkit_vmalloc_pfn(a) : PHYS_PFN(__pa(a));
		}
	}
out:
	rcu_read_unlock();
	*n = i;
	return ret;
}

/* --- pages and the kernel's mappings ------------------------------------ */

unsigned long hmkit_page_to_pfn(struct page *page)
{
	return page_to_pfn(page);
}

unsigned int hmkit_page_is_highmem(struct page *page)
{
	return PageHighMem(page);
}

const char *hmkit_page_zone_name(struct page *page)
{
	return page_zone(page)->name;
}

void hmkit_get_page(struct page *page)
{
	get_page(page);
}

void hmkit_put_page(struct page *page)
{
	put_page(page);
}

unsigned int hmkit_page_count(struct page *page)
{
	return page_count(page);
}

void *hmkit_page_address(struct page *page)
{
	return page_address(page);
}

void *hmkit_kmap_local(struct page *page)
{
	return kmap_local_page(page);
}

void hmkit_kunmap_local(void *addr)
{
	kunmap_local(addr);
}

void *hmkit_kmap_atomic(struct page *page)
{
	return kmap_atomic(page);
}

void hmkit_kunmap_atomic(void *addr)
{
	kunmap_atomic(addr);
}

void *hmkit_kmap(struct page *page)
{
	return kmap(page);
}

void hmkit_kunmap(struct page *page)
{
	kunmap(page);
}

/*
 * The page behind a vmalloc address: its pfn, zone and whether it is
 * highmem. -EFAULT if @addr is not a mapped vmalloc address.
 */
int hmkit_vmalloc_page(const void *addr, unsigned long *pfn,
		       unsigned int *highmem, const char **zone)
{
	struct page *page;

	if (!is_vmalloc_addr(addr))
		return -EFAULT;
	page = vmalloc_to_page(addr);
	if (!page)
		return -EFAULT;
	*pfn = page_to_pfn(page);
	*highmem = PageHighMem(page);
	*zone = page_zone(page)->name;
	return 0;
}

/*
 * Reads the kernel's pkmap PTE of slot @idx. Returns 1 and sets *@pfn when
 * the slot maps a page (in use, or released but not yet flushed: the
 * counts that tell the two apart are private to mm/highmem.c), 0 when it is
 * clear, -ENOENT past LAST_PKMAP and -EFAULT if the page table is not there.
 * The read is lockless (kmap_lock is private): with PAE the two halves of
 * the PTE are read so that a concurrent change cannot tear them.
 */
int hmkit_pkmap_slot(unsigned int idx, unsigned long *vaddr, unsigned long *pfn)
{
	unsigned long hpfn;
	bool huge;
	pte_t *ptep, pte;

	if (idx >= LAST_PKMAP)
		return -ENOENT;
	*vaddr = PKMAP_ADDR(idx);
	if (IS_ENABLED(CONFIG_ARM)) {
		/* init_mm's pkmap table: see hmkit_kernel_pfn(). */
		*pfn = hmkit_kernel_pfn(*vaddr);
		return *pfn != -1UL;
	}
	ptep = hmkit_kernel_pte(*vaddr, &huge, &hpfn);
	if (!ptep)
		return -EFAULT;
	pte = ptep_get_lockless(ptep);
	if (!pte_present(pte))
		return 0;
	*pfn = pte_pfn(pte);
	return 1;
}

/* --- module parameters -------------------------------------------------- */

static unsigned int slots = 1024;
module_param(slots, uint, 0444);
MODULE_PARM_DESC(slots, "slots in hmkit's mapping pool window (64..8192, default 1024)");

static unsigned int wait_ms = 1000;
module_param(wait_ms, uint, 0644);
MODULE_PARM_DESC(wait_ms, "how long a blocking pool map waits for a free slot, in ms (default 1000)");

unsigned int hmkit_param_slots(void)
{
	return READ_ONCE(slots);
}

unsigned int hmkit_param_wait_ms(void)
{
	return READ_ONCE(wait_ms);
}

/* --- the pool's window ---------------------------------------------------- */

/*
 * A window of kernel virtual address space the pool maps pages into. vmap()
 * reserves it and builds its page tables (pointing every slot at one dummy
 * page), then each slot's PTE is looked up once and cleared: from then on
 * hmkit writes and clears PTEs itself, and the map path never allocates.
 */
int hmkit_window_create(unsigned int nr, struct hmkit_window *w)
{
	struct page **pages;
	unsigned long hpfn;
	unsigned int i;
	bool huge;

#ifdef CONFIG_ARM
	/*
	 * Slots are remapped without cache maintenance, which is right only
	 * for a cache that cannot alias (Cortex-A7/A9/A15 and later; ARM's
	 * own pkmap flushes VIVT caches in flush_cache_kmaps()).
	 */
	if (!cache_is_vipt_nonaliasing())
		return -EOPNOTSUPP;
#endif
	w->nr = nr;
	w->dummy = alloc_page(GFP_KERNEL | __GFP_NOWARN);
	if (!w->dummy)
		return -ENOMEM;
	pages = kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL | __GFP_NOWARN);
	w->ptes = kvmalloc_array(nr, sizeof(*w->ptes), GFP_KERNEL | __GFP_NOWARN);
	w->pages = kvcalloc(nr, sizeof(*w->pages), GFP_KERNEL | __GFP_NOWARN);
	if (!pages || !w->ptes || !w->pages)
		goto nomem;
	for (i = 0; i < nr; i++)
		pages[i] = w->dummy;
	w->base = vmap(pages, nr, VM_MAP, PAGE_KERNEL);
	kvfree(pages);
	pages = NULL;
	if (!w->base)
		goto nomem;
	/* The touch and the walk in the same mm. */
	preempt_disable();
	for (i = 0; i < nr; i++) {
		unsigned long addr = (unsigned long)w->base + i * PAGE_SIZE;

		/*
		 * Every slot maps the dummy page now: reading it makes ARM copy
		 * a pmd entry vmap() just added into this task's pgd (the
		 * translation fault of a kernel address does, without
		 * sleeping), so that the walk below finds it. A no-op
		 * elsewhere.
		 */
		if (IS_ENABLED(CONFIG_ARM) && (i == 0 || !(addr & ~PMD_MASK)))
			(void)READ_ONCE(*(const u8 *)addr);
		w->ptes[i] = hmkit_kernel_pte(addr, &huge, &hpfn);
		if (WARN_ON_ONCE(!w->ptes[i])) {
			preempt_enable();
			vunmap(w->base);
			goto nomem;
		}
		pte_clear(NULL, addr, w->ptes[i]);
	}
	preempt_enable();
	/* Nothing may still cache the dummy mappings. */
	hmkit_window_flush(w, NULL, HMKIT_FLUSH_ALL);
	return 0;
nomem:
	kvfree(pages);
	kvfree(w->ptes);
	kvfree(w->pages);
	__free_page(w->dummy);
	return -ENOMEM;
}

void hmkit_window_destroy(struct hmkit_window *w)
{
	unsigned int i;

	for (i = 0; i < w->nr; i++)
		pte_clear(NULL, (unsigned long)w->base + i * PAGE_SIZE, w->ptes[i]);
	hmkit_window_flush(w, NULL, HMKIT_FLUSH_ALL);
	/* Every PTE is clear and flushed: the frames may go. */
	for (i = 0; i < w->nr; i++)
		hmkit_window_put(w, i);
	vunmap(w->base);
	kvfree(w->ptes);
	kvfree(w->pages);
	__free_page(w->dummy);
}

/*
 * Points @slot at @page. The slot's PTE is clear and flushed everywhere. The
 * slot takes a reference on the page, which hmkit_window_put() drops once
 * the PTE is cleared and flushed: no frame is freed (nor its memory type
 * changed by set_memory_*(), which cannot see this window the way it sees
 * the pkmap with kmap_flush_unused()) while a lazily unmapped slot still
 * maps it.
 */
void hmkit_window_set(const struct hmkit_window *w, unsigned int slot, struct page *page)
{
	get_page(page);
	w->pages[slot] = page;
#ifdef CONFIG_ARM
	/*
	 * set_pte_at() is out of line and not exported on ARM; set_pte_ext()
	 * writes the Linux PTE and, with 2-level tables, the hardware PTE
	 * beside it. Then make the entry visible to the table walker before
	 * the address is used (as ARM's flush_cache_vmap() does).
	 */
	set_pte_ext(w->ptes[slot], mk_pte(page, PAGE_KERNEL), 0);
	dsb(ishst);
	isb();
#else
	set_pte(w->ptes[slot], mk_pte(page, PAGE_KERNEL));
#endif
}

/* Drops @slot's page reference, if it has one. Its PTE is clear and flushed. */
void hmkit_window_put(const struct hmkit_window *w, unsigned int slot)
{
	struct page *page = w->pages[slot];

	if (page) {
		w->pages[slot] = NULL;
		put_page(page);
	}
}

/* Clears @slot's PTE; TLBs may keep it until hmkit_window_flush(). */
void hmkit_window_clear(const struct hmkit_window *w, unsigned int slot)
{
	pte_clear(NULL, (unsigned long)w->base + slot * PAGE_SIZE, w->ptes[slot]);
}

/* The pfn @slot's PTE maps, or -1UL if the PTE is clear. */
unsigned long hmkit_window_pfn(const struct hmkit_window *w, unsigned int slot)
{
	pte_t pte = ptep_get_lockless(w->ptes[slot]);

	return pte_present(pte) ? pte_pfn(pte) : -1UL;
}

struct hmkit_flush_args {
	unsigned long base;
	const unsigned int *slots;
	unsigned int n;
};

static void hmkit_flush_this_cpu(void *info)
{
	const struct hmkit_flush_args *a = info;
	unsigned int i;

#ifdef CONFIG_ARM
	if (a->n > HMKIT_FLUSH_ONE_BY_ONE) {
		local_flush_tlb_all();
		return;
	}
	for (i = 0; i < a->n; i++)
		local_flush_tlb_kernel_page(a->base + a->slots[i] * PAGE_SIZE);
#else
	if (a->n > HMKIT_FLUSH_ONE_BY_ONE) {
		__flush_tlb_all();
		return;
	}
	for (i = 0; i < a->n; i++)
		asm volatile("invlpg (%0)" : : "r"(a->base + a->slots[i] * PAGE_SIZE) : "memory");
#endif
}

/*
 * Flushes @n slots (all of them for HMKIT_FLUSH_ALL) from every CPU's TLB,
 * and returns when all CPUs have: up to HMKIT_FLUSH_ONE_BY_ONE slots page by
 * page (x86's invlpg; ARM's TLBIMVA through local_flush_tlb_kernel_page()),
 * more with one full flush per CPU. Each CPU flushes its own TLB in an IPI,
 * as x86's flush_tlb_kernel_range() does; ARM's own sends IPIs only where
 * TLB maintenance is not broadcast (not on Cortex-A15).
 *
 * Not flush_tlb_kernel_range(), which would do the same and be counted in
 * /proc/vmstat: it is not exported to modules (nor is flush_tlb_all() or
 * flush_tlb_one_kernel()), and it takes a range, not a list of slots. So
 * no vmstat counter sees these flushes; their IPIs show in /proc/interrupts
 * (CAL), and the pool counts its flushes itself.
 */
void hmkit_window_flush(const struct hmkit_window *w, const unsigned int *slot_list, unsigned int n)
{
	struct hmkit_flush_args a = {
		.base = (unsigned long)w->base, .slots = slot_list, .n = n,
	};

#ifdef CONFIG_ARM
	/* The cleared PTEs reach the table walker before any TLB is flushed. */
	dsb(ishst);
#endif
	on_each_cpu(hmkit_flush_this_cpu, &a, 1);
}

/* --- one-page vmap and vm_map_ram, for comparison ----------------------- */

/* vmap() takes its pgprot_t by value: Rust must not call it directly. */
void *hmkit_vmap_one(struct page *page)
{
	return vmap(&page, 1, VM_MAP, PAGE_KERNEL);
}

void hmkit_vunmap(const void *addr)
{
	vunmap(addr);
}

void *hmkit_vm_map_ram_one(struct page *page)
{
	return vm_map_ram(&page, 1, NUMA_NO_NODE);
}

void hmkit_vm_unmap_ram(const void *addr)
{
	vm_unmap_ram(addr, 1);
}

/* --- running code on every CPU -------------------------------------------- */

/* Runs @fn(@arg) on every online CPU (in IPI context on the others) and
 * returns when all have run it. */
void hmkit_on_each_cpu(void (*fn)(void *), void *arg)
{
	on_each_cpu(fn, arg, 1);
}

unsigned int hmkit_in_interrupt(void)
{
	return in_interrupt() ? 1 : 0;
}

/*
 * Whether the current task may take one more kmap_local/kmap_atomic
 * mapping: kmap_local_idx_push() BUG()s at KM_MAX_IDX, and interrupt
 * handlers' own kmap_local calls need room on top of the task's. hmkit's
 * wrappers stop at half (8 nested mappings, with or without
 * DEBUG_KMAP_LOCAL's guard slots, which count the index in steps of 2).
 */
unsigned int hmkit_kmap_local_room(void)
{
	return current->kmap_ctrl.idx + 2 <= KM_MAX_IDX / 2;
}

void hmkit_cond_resched(void)
{
	cond_resched();
}

unsigned int hmkit_smp_processor_id(void)
{
	return raw_smp_processor_id();
}

/* Preemption off; the CPU this runs on until hmkit_put_cpu(). */
unsigned int hmkit_get_cpu(void)
{
	return get_cpu();
}

void hmkit_put_cpu(void)
{
	put_cpu();
}

void hmkit_cpu_relax(void)
{
	cpu_relax();
}

unsigned int hmkit_nr_cpu_ids(void)
{
	return nr_cpu_ids;
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
static_assert(sizeof(struct hmkit_file_ops) == 2 * 4);

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
