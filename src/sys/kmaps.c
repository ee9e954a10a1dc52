// SPDX-License-Identifier: GPL-2.0
/*
 * The probes behind `hmctl kmaps`: kprobes on the kernel's own highmem
 * mapping calls, each turned into one `struct hmkit_kmap_event` handed to
 * the sink that Rust registered (src/sys/kmaps.rs). Nothing here keeps
 * state beyond the registration; counting, pairing and naming happen in
 * Rust.
 *
 * Probed (mm/highmem.c unless said):
 *   kmap_high             kmap() of a highmem page, a kretprobe: its entry
 *                         counts the call, its return starts the hold time
 *                         and tells whether the caller slept for a free slot
 *   kunmap_high           kunmap() of a highmem page
 *   __kmap_local_page_prot  kmap_local_page(), kmap_local_folio() and
 *                         kmap_atomic(), highmem or not
 *   __kmap_local_pfn_prot  kmap_local_pfn() and kmap_atomic_pfn() (its
 *                         calls from __kmap_local_page_prot are skipped,
 *                         tail calls too)
 *   kunmap_local_indexed  kunmap_local() and kunmap_atomic()
 *   flush_tlb_kernel_range (arch/x86/mm/tlb.c, arch/arm/kernel/smp_tlb.c)
 *                         when it flushes exactly the pkmap: the pkmap's
 *                         flush of its unused entries
 *
 * Handlers run in kprobe context: interrupts or preemption off, never
 * nested on one CPU (a probe hit inside a handler is counted as missed by
 * the kprobe core), so the sink must not sleep, allocate or take locks.
 */

#include <linux/highmem.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/pgtable.h>

#include "shim.h"

static_assert(sizeof(struct hmkit_kmap_event) == 48);
static_assert(offsetof(struct hmkit_kmap_event, site) == 16);
static_assert(offsetof(struct hmkit_kmap_event, kind) == 24);
static_assert(offsetof(struct hmkit_kmap_event, cpu) == 40);
static_assert(KSYM_SYMBOL_LEN <= HMKIT_KSYM_LEN);

/* Serialises registration; the handlers only read what it set. */
static DEFINE_MUTEX(kmaps_lock);
static void (*kmaps_sink)(void *ctx, const struct hmkit_kmap_event *ev);
static void *kmaps_ctx;
/* Names the registration in place, so that only its owner takes it out. */
static unsigned int kmaps_gen;
/* Where __kmap_local_page_prot lies, to skip its own call of the pfn one. */
static unsigned long page_prot_start, page_prot_end;

/*
 * Without frame pointers, __kmap_local_page_prot may reach the pfn variant
 * with a tail jump: no return address of its own on the stack, the same
 * stack pointer and return address as at its own entry. Each CPU keeps
 * those of its last page-variant hit that will map, with the pfn, one per
 * interrupt context level (task, softirq, hardirq, NMI), so that an
 * interrupt's own kmap_local between the two probes does not overwrite the
 * task's. What is left: the task preempted or migrated between the page
 * probe and the jump (kmap_local_page runs preemptible there) and another
 * task's map on that CPU meanwhile; then the tail call counts once more,
 * as a pfn map at the same site.
 */
struct tail_mark {
	unsigned long sp, site, pfn;
};
static DEFINE_PER_CPU(struct tail_mark[4], page_prot_mark);

/* mm/highmem.c's KM_INCR: each kmap_local takes two slots with the guard. */
#define HMKIT_KM_INCR (IS_ENABLED(CONFIG_DEBUG_KMAP_LOCAL) ? 2 : 1)

/*
 * At a probed function's first instruction, its return address: on x86 on
 * top of the stack, the kernel stack of the task the probe hit in; on ARM
 * in the link register.
 */
static unsigned long entry_site(struct pt_regs *regs)
{
#ifdef CONFIG_ARM
	return regs->ARM_lr;
#else
	return READ_ONCE(*(unsigned long *)kernel_stack_pointer(regs));
#endif
}
NOKPROBE_SYMBOL(entry_site);

/*
 * Argument @n (0 or 1) of the probed function, at its first instruction.
 * ARM has no regs_get_kernel_argument(); its first arguments are r0, r1.
 */
static unsigned long arg(struct pt_regs *regs, unsigned int n)
{
#ifdef CONFIG_ARM
	return n ? regs->ARM_r1 : regs->ARM_r0;
#else
	return regs_get_kernel_argument(regs, n);
#endif
}
NOKPROBE_SYMBOL(arg);

static void emit(unsigned int kind, unsigned long site, unsigned long key,
		 unsigned int highmem, u64 start_ns, unsigned int waited)
{
	struct hmkit_kmap_event ev = {
		.now_ns = ktime_get_mono_fast_ns(),
		.start_ns = start_ns,
		.site = site,
		.key = key,
		.kind = kind,
		.highmem = highmem,
		.depth = current->kmap_ctrl.idx / HMKIT_KM_INCR,
		.pagefault_disabled = pagefault_disabled(),
		.cpu = raw_smp_processor_id(),
		.waited = waited,
	};

	kmaps_sink(kmaps_ctx, &ev);
}
NOKPROBE_SYMBOL(emit);

/* kmap_high(): what its return handler needs. */
struct kmap_high_data {
	u64 start_ns;
	unsigned long nvcsw;
	unsigned long site;
	unsigned long page;
};

/*
 * Runs before the kretprobe swaps the return address on the stack for its
 * trampoline (which is also why no plain kprobe on kmap_high could read
 * the call site: it may run after the swap).
 */
static int kmap_high_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kmap_high_data *d = (struct kmap_high_data *)ri->data;

	d->site = entry_site(regs);
	d->page = arg(regs, 0);
	d->nvcsw = current->nvcsw;
	emit(HMKIT_KMAP_EV_KMAP, d->site, d->page, 1, 0, 0);
	d->start_ns = ktime_get_mono_fast_ns();
	return 0;
}
NOKPROBE_SYMBOL(kmap_high_entry);

static int kmap_high_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kmap_high_data *d = (struct kmap_high_data *)ri->data;

	/*
	 * The only sleep in kmap_high() is map_new_virtual()'s wait for a
	 * free slot (kmap_lock is a spinlock on !PREEMPT_RT), and a sleep is
	 * a voluntary context switch; preemption counts in nivcsw instead. A
	 * wakeup that comes before schedule() leaves no trace: not counted.
	 * The hold time starts here, once the page is mapped.
	 */
	emit(HMKIT_KMAP_EV_KMAP_RETURN, d->site, d->page, 1, d->start_ns,
	     current->nvcsw != d->nvcsw);
	return 0;
}
NOKPROBE_SYMBOL(kmap_high_return);

static int kunmap_high_pre(struct kprobe *p, struct pt_regs *regs)
{
	emit(HMKIT_KMAP_EV_KUNMAP, entry_site(regs), arg(regs, 0), 1, 0, 0);
	return 0;
}
NOKPROBE_SYMBOL(kunmap_high_pre);

static struct tail_mark *this_mark(void)
{
	return this_cpu_ptr(&page_prot_mark[interrupt_context_level() & 3]);
}
NOKPROBE_SYMBOL(this_mark);

static int local_page_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct page *page = (struct page *)arg(regs, 0);
	unsigned long site = entry_site(regs);
	bool high = PageHighMem(page);

	/* Only a page that will be mapped goes on to the pfn variant. */
	if (high || IS_ENABLED(CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP)) {
		struct tail_mark *m = this_mark();

		m->sp = kernel_stack_pointer(regs);
		m->site = site;
		m->pfn = page_to_pfn(page);
	}
	emit(HMKIT_KMAP_EV_LOCAL_PAGE, site, (unsigned long)page, high, 0, 0);
	return 0;
}
NOKPROBE_SYMBOL(local_page_pre);

static int local_pfn_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long site = entry_site(regs);
	unsigned long pfn = arg(regs, 0);
	struct tail_mark *m = this_mark();

	if (site >= page_prot_start && site < page_prot_end)
		return 0;
	if (m->site == site && m->sp == kernel_stack_pointer(regs) && m->pfn == pfn) {
		m->site = 0;
		return 0;
	}
	emit(HMKIT_KMAP_EV_LOCAL_PFN, site, pfn,
	     pfn_valid(pfn) ? PageHighMem(pfn_to_page(pfn)) : 0, 0, 0);
	return 0;
}
NOKPROBE_SYMBOL(local_pfn_pre);

static int kunmap_local_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long addr = arg(regs, 0);

	/* Below the kmap_local fixmap slots: a lowmem page that was never mapped. */
	emit(HMKIT_KMAP_EV_KUNMAP_LOCAL, entry_site(regs), addr,
	     (addr & PAGE_MASK) >= __fix_to_virt(FIX_KMAP_END), 0, 0);
	return 0;
}
NOKPROBE_SYMBOL(kunmap_local_pre);

static int flush_pre(struct kprobe *p, struct pt_regs *regs)
{
	if (arg(regs, 0) != PKMAP_ADDR(0) ||
	    arg(regs, 1) != PKMAP_ADDR(LAST_PKMAP))
		return 0;
	emit(HMKIT_KMAP_EV_PKMAP_FLUSH, entry_site(regs), 0, 1, 0, 0);
	return 0;
}
NOKPROBE_SYMBOL(flush_pre);

static struct kprobe kp_kunmap_high = { .symbol_name = "kunmap_high", .pre_handler = kunmap_high_pre };
static struct kprobe kp_local_page = { .symbol_name = "__kmap_local_page_prot", .pre_handler = local_page_pre };
static struct kprobe kp_local_pfn = { .symbol_name = "__kmap_local_pfn_prot", .pre_handler = local_pfn_pre };
static struct kprobe kp_kunmap_local = { .symbol_name = "kunmap_local_indexed", .pre_handler = kunmap_local_pre };
static struct kprobe kp_flush = { .symbol_name = "flush_tlb_kernel_range", .pre_handler = flush_pre };
static struct kprobe *kprobes[] = { &kp_kunmap_high, &kp_local_page, &kp_local_pfn, &kp_kunmap_local, &kp_flush };

static struct kretprobe krp_kmap_high = {
	.kp.symbol_name = "kmap_high",
	.entry_handler = kmap_high_entry,
	.handler = kmap_high_return,
	.data_size = sizeof(struct kmap_high_data),
	/*
	 * Tasks inside kmap_high() at once, most of them waiting for a slot;
	 * a kmap() past that is not seen (counted in missed).
	 */
	.maxactive = 512,
};

static void reset_probes(void)
{
	unsigned int i;

	/* register_kprobe() resolves symbol_name into addr and refuses a probe with both set. */
	for (i = 0; i < ARRAY_SIZE(kprobes); i++) {
		kprobes[i]->addr = NULL;
		kprobes[i]->flags = 0;
		kprobes[i]->nmissed = 0;
	}
	krp_kmap_high.kp.addr = NULL;
	krp_kmap_high.kp.flags = 0;
	krp_kmap_high.kp.nmissed = 0;
	krp_kmap_high.nmissed = 0;
}

/* The size of the function that starts at @addr, from kallsyms ("name+0x0/0x15"). */
static unsigned long function_size(unsigned long addr)
{
	static char buf[KSYM_SYMBOL_LEN];	/* under kmaps_lock */
	unsigned long off, size;
	char *plus;

	sprint_symbol(buf, addr);
	plus = strrchr(buf, '+');
	if (!plus || sscanf(plus + 1, "%lx/%lx", &off, &size) != 2 || off != 0)
		return 0;
	return size;
}

int hmkit_kmaps_register(void (*sink)(void *ctx, const struct hmkit_kmap_event *ev), void *ctx,
			 unsigned int *gen)
{
	int ret;

	mutex_lock(&kmaps_lock);
	if (kmaps_sink) {
		ret = -EBUSY;
		goto out;
	}
	/*
	 * The pfn probe skips calls from __kmap_local_page_prot, which it
	 * recognises by their return address: where that function is.
	 */
	page_prot_start = (unsigned long)__kmap_local_page_prot;
	page_prot_end = page_prot_start + function_size(page_prot_start);
	if (page_prot_end == page_prot_start) {
		ret = -ENOENT;
		goto out;
	}
	reset_probes();
	/* The handlers may fire as soon as the first probe is in. */
	kmaps_ctx = ctx;
	kmaps_sink = sink;
	ret = register_kprobes(kprobes, ARRAY_SIZE(kprobes));
	if (ret)
		goto fail;
	ret = register_kretprobe(&krp_kmap_high);
	if (ret) {
		unregister_kprobes(kprobes, ARRAY_SIZE(kprobes));
		goto fail;
	}
	/* Never 0, which hmkit_kmaps_unregister() takes as "whichever". */
	if (++kmaps_gen == 0)
		kmaps_gen = 1;
	*gen = kmaps_gen;
	goto out;
fail:
	kmaps_sink = NULL;
	kmaps_ctx = NULL;
out:
	mutex_unlock(&kmaps_lock);
	return ret;
}

/* Takes out registration @gen, or whichever is in place if @gen is 0. */
void hmkit_kmaps_unregister(unsigned int gen)
{
	mutex_lock(&kmaps_lock);
	if (kmaps_sink && (gen == 0 || gen == kmaps_gen)) {
		/* Both wait until no handler runs any more (synchronize_rcu()). */
		unregister_kretprobe(&krp_kmap_high);
		unregister_kprobes(kprobes, ARRAY_SIZE(kprobes));
		kmaps_sink = NULL;
		kmaps_ctx = NULL;
	}
	mutex_unlock(&kmaps_lock);
}

unsigned long hmkit_kmaps_missed(void)
{
	unsigned long n = 0;
	unsigned int i;

	mutex_lock(&kmaps_lock);
	if (kmaps_sink) {
		for (i = 0; i < ARRAY_SIZE(kprobes); i++)
			n += READ_ONCE(kprobes[i]->nmissed);
		n += READ_ONCE(krp_kmap_high.kp.nmissed) + READ_ONCE(krp_kmap_high.nmissed);
	}
	mutex_unlock(&kmaps_lock);
	return n;
}

void hmkit_symbol(unsigned long addr, char *buf)
{
	sprint_symbol(buf, addr);
}
